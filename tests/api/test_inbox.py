"""The editors' learning inbox over JSON: /v1/inbox, /v1/inbox/preview, /v1/inbox/apply (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from app.store.events import mask_personal
from tests.helpers.http import bearer

LACES = ["鞋带能单独买吗", "鞋带可以单独卖给我一副吗", "能不能单买一副鞋带"]
POINTS = ["会员积分怎么兑换", "积分兑换在哪里呀", "亲 我的积分怎么用不了", "攒的积分能换礼品吗"]
STORE = ["你们有没有实体店", "实体店在哪 我电话13812345678"]


@pytest.fixture(scope="module")
def agent(keys):
    return bearer(keys["agent"])


@pytest.fixture(scope="module")
def editor(keys):
    return bearer(keys["editor"])


def suggest(client, headers, message: str) -> dict:
    r = client.post("/v1/suggest", json={"message": message, "shop_key": "default"}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def asked(fresh_app, fresh_client, agent):
    """Buyers asked new questions the content has no answer for (some more than once)."""
    for m in LACES + LACES[:1] + POINTS + STORE:
        assert suggest(fresh_client, agent, m)["no_match"], m
    fresh_app.state.events.flush()


def groups(client, editor, query: str = "") -> dict:
    r = client.get(f"/v1/inbox{query}", headers=editor)
    assert r.status_code == 200, r.text
    return r.json()


def group_of(data: dict, text: str) -> dict:
    return next(g for g in data["groups"] if text in g["texts"])


def test_the_inbox_groups_the_variants_of_each_question(fresh_client, editor, asked):
    data = groups(fresh_client, editor)
    laces = group_of(data, LACES[0])
    assert set(laces["texts"]) == set(LACES) and laces["count"] == 4
    assert laces["kinds"] == {"no_match": 4}
    assert set(group_of(data, POINTS[0])["texts"]) == set(POINTS)
    assert group_of(data, POINTS[0])["key"] != laces["key"]
    # The texts are the masked ones: no phone number in the inbox.
    store = group_of(data, "你们有没有实体店")
    assert mask_personal(STORE[1]) in store["texts"] and not any("13812345678" in t for t in store["texts"])


def test_the_inbox_filters_by_kind_and_names_a_bad_filter(fresh_client, editor, asked):
    assert groups(fresh_client, editor, "?kind=low_confidence")["groups"] == []
    assert groups(fresh_client, editor, "?kind=no_match,dismissed")["groups"]
    for query, field in (("?kind=unknown", "kind"), ("?from=2026-13-01", "from"), ("?to=tomorrow", "to")):
        r = fresh_client.get(f"/v1/inbox{query}", headers=editor)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field]


def test_a_dismissed_suggestion_brings_its_message_with_the_reason(fresh_app, fresh_client, agent, editor):
    message = "亲 收到的靴子颜色比图片深了好多"
    data = suggest(fresh_client, agent, message)
    assert not data["no_match"]
    sid = data["suggestions"][0]["suggestion_id"]
    r = fresh_client.post("/v1/feedback", json={"suggestion_id": sid, "action": "dismissed", "reason": "不相关"}, headers=agent)
    assert r.status_code == 200
    fresh_app.state.events.flush()
    group = group_of(groups(fresh_client, editor, "?kind=dismissed"), message)
    assert group["kinds"].get("dismissed") == 1
    assert group["reasons"] == [{"reason": "不相关", "count": 1}]


def test_the_inbox_needs_the_editor_role(fresh_client, agent):
    assert fresh_client.get("/v1/inbox").status_code == 401
    r = fresh_client.get("/v1/inbox", headers=agent)
    assert r.status_code == 403
    body = {"action": "add_example", "messages": LACES, "intent": "stock_inquiry"}
    assert fresh_client.post("/v1/inbox/preview", json=body, headers=agent).status_code == 403
    assert fresh_client.post("/v1/inbox/apply", json={**body, "base_version": 1}, headers=agent).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"action": "learn", "messages": LACES}, 422, "action"),
        ({"action": "add_example", "messages": []}, 422, "messages"),
        ({"action": "add_example", "messages": LACES}, 422, "intent"),
        ({"action": "add_example", "messages": LACES, "intent": "no_such_intent"}, 404, "intent"),
        ({"action": "add_example", "messages": LACES, "intent": "_out_of_scope"}, 404, "intent"),
        ({"action": "new_intent", "messages": LACES}, 422, "new_intent"),
        ({"action": "new_intent", "messages": LACES, "new_intent": {"id": "Bad Id", "label": "x", "category": "y"}}, 422,
         "new_intent.id"),
        ({"action": "new_intent", "messages": LACES, "new_intent": {"id": "wrong_item", "label": "x", "category": "y"}}, 409,
         "new_intent.id"),
        ({"action": "add_example", "messages": ["发错货了"], "intent": "wrong_item"}, 422, "messages"),
    ],
)
def test_bad_actions_name_the_field(fresh_client, editor, body, status, field):
    r = fresh_client.post("/v1/inbox/preview", json=body, headers=editor)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_preview_shows_the_group_matched_and_saves_nothing(fresh_client, editor, agent, asked):
    before = fresh_client.get("/v1/intents/stock_inquiry", headers=editor).json()["version"]
    r = fresh_client.post(
        "/v1/inbox/preview", json={"action": "add_example", "messages": LACES, "intent": "stock_inquiry"}, headers=editor
    )
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["base_version"] == before and p["added"] == LACES
    assert [m["text"] for m in p["messages"]] == LACES
    assert all(m["before"]["no_match"] for m in p["messages"])
    assert all(m["fixed"] and m["after"]["intents"][0]["id"] == "stock_inquiry" for m in p["messages"])
    assert p["summary"] == "保存后 3/3 条消息会匹配到「库存咨询」"
    assert fresh_client.get("/v1/intents/stock_inquiry", headers=editor).json()["version"] == before
    assert suggest(fresh_client, agent, LACES[0])["no_match"]  # nothing changed for the agents either


def test_apply_adds_the_examples_as_a_new_version_and_the_next_suggest_matches(fresh_client, editor, agent, asked):
    v = fresh_client.get("/v1/intents/stock_inquiry", headers=editor).json()
    body = {"action": "add_example", "messages": LACES, "intent": "stock_inquiry"}
    r = fresh_client.post("/v1/inbox/apply", json={**body, "base_version": v["version"]}, headers=editor)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["version"] == v["version"] + 1 and saved["live"] is True
    after = fresh_client.get("/v1/intents/stock_inquiry", headers=editor).json()
    assert after["source"].startswith(v["source"].split("examples:")[0])  # the rest of the file as it was
    assert all(f"  - {t}" in after["source"] for t in LACES)
    history = fresh_client.get("/v1/intents/stock_inquiry/versions", headers=editor).json()["versions"]
    assert history[0]["comment"] == "收件箱：加入 3 条例句"
    assert [i["id"] for i in suggest(fresh_client, agent, LACES[1])["intents"]] == ["stock_inquiry"]
    # The group is dealt with: it leaves the inbox.
    data = groups(fresh_client, editor)
    assert not any(LACES[0] in g["texts"] for g in data["groups"]) and data["handled_groups"] >= 1

    # The same save again, on the version it was based on: a conflict, not an overwrite.
    stale = {**body, "messages": ["鞋带有卖吗 白色的"], "base_version": v["version"]}
    r = fresh_client.post("/v1/inbox/apply", json=stale, headers=editor)
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["field"] == "base_version"
    assert r.json()["current_version"] == saved["version"]
    r = fresh_client.post("/v1/inbox/apply", json={**stale, "base_version": None},
                          headers={**editor, "If-Match": f'"{v["version"]}"'})
    assert r.status_code == 412
    r = fresh_client.post("/v1/inbox/apply", json={**stale, "base_version": None}, headers=editor)
    assert r.status_code == 428 and r.json()["errors"][0]["field"] == "base_version"


def test_a_new_intent_from_a_group(fresh_client, editor, agent, asked):
    new = {"id": "points_exchange", "label": "积分兑换", "category": "操作咨询", "priority": "low"}
    body = {"action": "new_intent", "messages": POINTS, "new_intent": new}
    p = fresh_client.post("/v1/inbox/preview", json=body, headers=editor).json()
    assert p["fixed"] >= len(POINTS) - 1 and p["summary"] == f"保存后 {p['fixed']}/{len(POINTS)} 条消息会匹配到「积分兑换」"
    r = fresh_client.post("/v1/inbox/apply", json=body, headers=editor)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    doc = fresh_client.get("/v1/intents/points_exchange", headers=editor).json()
    assert "label: 积分兑换" in doc["source"] and "category: 操作咨询" in doc["source"]
    # What the preview said is what the agents now get.
    for m in p["messages"]:
        now = [i["id"] for i in suggest(fresh_client, agent, m["text"])["intents"]]
        assert ("points_exchange" in now) == m["fixed"], m
    again = fresh_client.post("/v1/inbox/apply", json={**body, "messages": ["积分能抵现金吗"]}, headers=editor)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "new_intent.id"


def test_out_of_scope_keeps_the_rest_of_the_file(fresh_client, editor, agent, asked):
    before = fresh_client.get("/v1/intents/_out_of_scope", headers=editor).json()
    body = {"action": "out_of_scope", "messages": [mask_personal(STORE[1]), STORE[0]]}
    p = fresh_client.post("/v1/inbox/preview", json=body, headers=editor).json()
    assert p["summary"].startswith("保存后") and "无关" in p["summary"]
    r = fresh_client.post("/v1/inbox/apply", json={**body, "base_version": p["base_version"]}, headers=editor)
    assert r.status_code == 200, r.text
    after = fresh_client.get("/v1/intents/_out_of_scope", headers=editor).json()["source"]
    # Appended to the examples, before the fragments, with the file's comments kept.
    head, _, fragments = after.partition("\nfragments:")
    assert "  - 你们有没有实体店" in head and "138****5678" in head and "13812345678" not in after
    assert fragments == before["source"].partition("\nfragments:")[2]
    assert suggest(fresh_client, agent, STORE[0])["no_match"]
