"""The form views' JSON API: source ↔ fields, the intent example check and the rule tester."""

import time

import pytest

from tests.helpers.http import bearer

INTENT = "id: return_refund\nlabel: 退货退款\ncategory: 售后\n# 例句\nexamples:\n  - 我要退货\nkeywords: [退货]\n"
RULE = """# 测试规则
id: form_test_rule
severity: warn
title: 测试
message: 测试原因
phrases: [包您满意]
patterns:
  - '保证(?:明天|后天)到'
"""


def test_read_and_write_a_template_and_an_intent(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/short", headers=h).json()
    r = fresh_client.post("/v1/templates/form/read", json={"source": doc["source"]}, headers=h)
    assert r.status_code == 200, r.text
    fields = r.json()["fields"]
    assert fields["intent"] == "thanks" and fields["body"] and r.json()["problems"] == []

    r = fresh_client.post("/v1/templates/form/write", json={"source": doc["source"], "fields": {**fields, "title": "感谢·新标题"}},
                          headers=h)
    assert r.status_code == 200, r.text
    assert "title: 感谢·新标题\n" in r.json()["source"]

    r = fresh_client.post("/v1/intents/form/write", headers=h, json={
        "source": INTENT, "fields": {"id": "return_refund", "label": "退货退款", "category": "售后", "priority": "",
                                     "description": "", "examples": ["我要退货", "退了吧"], "keywords": ["退货"]}})
    assert r.json() == {"source": INTENT.replace("  - 我要退货\n", "  - 我要退货\n  - 退了吧\n"), "problems": []}


def test_unreadable_source_is_problems_with_a_line_not_an_error(fresh_client, keys):
    r = fresh_client.post("/v1/intents/form/read", json={"source": "id: x\nexamples:\n  - 'oops\n"}, headers=bearer(keys["editor"]))
    assert r.status_code == 200
    body = r.json()
    assert body["fields"] is None and body["problems"][0]["line"] == 3
    assert "引号" in body["problems"][0]["message"]


def test_roles(fresh_client, keys):
    read = {"source": RULE}
    assert fresh_client.post("/v1/templates/form/read", json=read).status_code == 401
    assert fresh_client.post("/v1/intents/form/read", json=read, headers=bearer(keys["agent"])).status_code == 403
    assert fresh_client.post("/v1/rules/form/read", json=read, headers=bearer(keys["editor"])).status_code == 403
    assert fresh_client.post("/v1/rules/test", json={"source": RULE, "text": "包您满意"},
                             headers=bearer(keys["editor"])).status_code == 403
    assert fresh_client.post("/v1/rules/form/read", json=read, headers=bearer(keys["admin"])).status_code == 200


@pytest.mark.parametrize("path, body, field", [
    ("/v1/templates/form/write", {"source": "---\n---\n", "fields": {"title": 3}}, "fields.title"),
    ("/v1/intents/form/write", {"source": INTENT, "fields": {"examples": "我要退货"}}, "fields.examples"),
    ("/v1/intents/form/write", {"source": INTENT, "fields": {"colour": "红"}}, "fields.colour"),
    ("/v1/intents/form/read", {"source": "x" * 60_001}, "source"),
    ("/v1/intents/examples/check", {"intent": "Bad Id", "examples": []}, "intent"),
    ("/v1/intents/examples/check", {"intent": "thanks", "examples": ["好" * 501]}, "examples.0"),
    ("/v1/rules/test", {"source": RULE, "text": ""}, "text"),
])
def test_bad_bodies_are_422_naming_the_field(fresh_client, keys, path, body, field):
    r = fresh_client.post(path, json=body, headers=bearer(keys["admin"]))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_examples_check_finds_a_duplicate_and_an_example_of_another_intent(fresh_client, keys, engine):
    cancel = engine.pack.intents["cancel_order"]
    theirs = cancel.examples[0]
    r = fresh_client.post("/v1/intents/examples/check", headers=bearer(keys["editor"]), json={
        "intent": "return_refund", "examples": ["我要退货，尺码不合适", theirs, "我要退货，尺码不合适"]})
    assert r.status_code == 200, r.text
    own, other, dup = r.json()["examples"]
    assert own["duplicate_of"] is None and own["also_in"] == [] and own["matched"] is None
    assert other["also_in"] == [{"id": "cancel_order", "label": cancel.label}]
    assert other["matched"]["id"] == "cancel_order" and other["matched"]["label"] == cancel.label
    assert 0 < other["matched"]["score"] <= 1
    assert dup["duplicate_of"] == 0


def test_rule_tester_finds_spans_in_the_unsaved_rule(fresh_client, keys):
    text = "亲，包您满意，保证明天到"
    r = fresh_client.post("/v1/rules/test", json={"source": RULE, "text": text}, headers=bearer(keys["admin"]))
    assert r.status_code == 200, r.text
    flags = r.json()["flags"]
    assert [(text[f["start"]:f["end"]], f["severity"], f["rule"]) for f in flags] == [
        ("包您满意", "warn", "form_test_rule"), ("保证明天到", "warn", "form_test_rule")]
    # a switched-off rule is tested all the same; a broken one says why, with its line
    off = fresh_client.post("/v1/rules/test", json={"source": RULE + "enabled: false\n", "text": text},
                            headers=bearer(keys["admin"])).json()
    assert len(off["flags"]) == 2
    broken = fresh_client.post("/v1/rules/test", json={"source": RULE.replace("(?:明天", "((?:明天"), "text": text},
                               headers=bearer(keys["admin"])).json()
    assert broken["flags"] == [] and broken["problems"][0]["line"] == 8  # the pattern's line


def test_rule_tester_knows_the_courier_names(fresh_client, keys):
    rule = RULE.replace("  - '保证(?:明天|后天)到'\n", "  - '发{courier}'\n")
    text = "好的亲，给您发顺丰"
    r = fresh_client.post("/v1/rules/test", json={"source": rule, "text": text}, headers=bearer(keys["admin"]))
    assert [text[f["start"]:f["end"]] for f in r.json()["flags"]] == ["发顺丰"]


WORD_LIST_FORMS = ["/v1/lexicon/couriers/form", "/v1/lexicon/domain/form", "/v1/variables/form"]


@pytest.mark.parametrize("base", WORD_LIST_FORMS)
def test_word_list_forms_are_for_admins(fresh_client, keys, base):
    source = {"/v1/lexicon/couriers/form": "couriers:\n  - name: 顺丰\n    aliases: [sf]\n",
              "/v1/lexicon/domain/form": "色差 2000 n\n",
              "/v1/variables/form": "variables:\n  - name: order_id\n    label: 订单号\n"}[base]
    for role in ("agent", "editor"):
        r = fresh_client.post(f"{base}/read", json={"source": source}, headers=bearer(keys[role]))
        assert r.status_code == 403, (role, r.text)
    r = fresh_client.post(f"{base}/read", json={"source": source}, headers=bearer(keys["admin"]))
    assert r.status_code == 200, r.text
    fields = r.json()["fields"]
    assert fresh_client.post(f"{base}/write", json={"source": source, "fields": fields},
                             headers=bearer(keys["editor"])).status_code == 403
    r = fresh_client.post(f"{base}/write", json={"source": source, "fields": fields}, headers=bearer(keys["admin"]))
    assert r.json() == {"source": source, "problems": []}


def test_the_stored_couriers_get_an_alias_through_the_form(fresh_client, keys):
    h = bearer(keys["admin"])
    doc = fresh_client.get("/v1/lexicon/couriers", headers=h).json()
    fields = fresh_client.post("/v1/lexicon/couriers/form/read", json={"source": doc["source"]}, headers=h).json()["fields"]
    yunda = next(c for c in fields["couriers"] if c["name"] == "韵达")
    yunda["aliases"].append("韵达小哥")
    r = fresh_client.post("/v1/lexicon/couriers/form/write", json={"source": doc["source"], "fields": fields}, headers=h)
    source = r.json()["source"]
    assert source.count("韵达小哥") == 1 and len(source.splitlines()) == len(doc["source"].splitlines())


@pytest.mark.parametrize("path, body, field", [
    ("/v1/lexicon/domain/form/write", {"source": "色差\n", "fields": {"words": ["运费 险"]}}, "fields.words.0"),
    ("/v1/lexicon/couriers/form/write", {"source": "", "fields": {"couriers": [{"name": "顺丰", "aliases": "sf"}]}},
     "fields.couriers.0.aliases"),
    ("/v1/variables/form/write", {"source": "", "fields": {"variables": [{"name": "x", "colour": "红"}]}},
     "fields.variables.0.colour"),
])
def test_bad_word_list_fields_are_422_naming_the_field(fresh_client, keys, path, body, field):
    r = fresh_client.post(path, json=body, headers=bearer(keys["admin"]))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_a_domain_word_added_in_the_form_stays_whole_once_published(fresh_app, fresh_client, keys):
    h = bearer(keys["admin"])
    text = "亲，鞋盒压扁了怎么办"

    def tokens() -> list[str]:
        return fresh_app.state.holder.current().matcher.segmenter.tokens(text)

    assert "鞋盒压扁" not in tokens()
    doc = fresh_client.get("/v1/lexicon/domain", headers=h).json()
    fields = fresh_client.post("/v1/lexicon/domain/form/read", json={"source": doc["source"]}, headers=h).json()["fields"]
    fields["words"].append("鞋盒压扁")
    source = fresh_client.post("/v1/lexicon/domain/form/write", json={"source": doc["source"], "fields": fields},
                               headers=h).json()["source"]
    assert source == doc["source"] + "鞋盒压扁 2000\n"
    r = fresh_client.put("/v1/lexicon/domain", json={"source": source, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 60  # the matcher retrains on the new words
    while "鞋盒压扁" not in tokens() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "鞋盒压扁" in tokens()
