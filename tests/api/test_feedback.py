"""POST /v1/feedback and GET /v1/stats (api.md, "Feedback and statistics"), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.main import create_app
from app.store.events import CheckEvent, Shown, SuggestEvent
from app.store.models import SuggestEventRow
from tests.helpers.http import bearer

COLOUR = "收到的鞋子颜色和图片差好多，实物暗了一个色"
TWO_PROBLEMS = "亲 衣服颜色跟图片完全不一样，而且还少发了一条裤子"


@pytest.fixture(scope="module")
def agent(keys):
    return bearer(keys["agent"])


@pytest.fixture(scope="module")
def editor(keys):
    return bearer(keys["editor"])


def suggest(client, headers, message=COLOUR, **extra) -> dict:
    r = client.post("/v1/suggest", json={"message": message, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def send(client, headers, suggestion_id, action, **extra):
    return client.post("/v1/feedback", json={"suggestion_id": suggestion_id, "action": action, **extra}, headers=headers)


def test_every_suggestion_carries_its_own_id(fresh_client, agent):
    data = suggest(fresh_client, agent, TWO_PROBLEMS)
    ids = [s["suggestion_id"] for s in data["suggestions"]]
    assert data["combined"] is not None
    ids.append(data["combined"]["suggestion_id"])
    assert all(isinstance(i, str) and len(i) >= 16 for i in ids)
    assert len(set(ids)) == len(ids)
    again = suggest(fresh_client, agent, TWO_PROBLEMS)
    assert not set(ids) & {s["suggestion_id"] for s in again["suggestions"]}  # new ids for each answer


def test_unknown_suggestion_is_a_404_in_chinese(fresh_client, agent):
    r = send(fresh_client, agent, "AAAAAAAAAAAAAAAA", "copied")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "找不到这条建议回复" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "suggestion_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"suggestion_id": "x", "action": "liked"}, "action"),
        ({"action": "copied"}, "suggestion_id"),
        ({"suggestion_id": "", "action": "copied"}, "suggestion_id"),
        ({"suggestion_id": "x", "action": "sent", "final_text": 12}, "final_text"),
        ({"suggestion_id": "x", "action": "dismissed", "reason": "很" * 201}, "reason"),
    ],
)
def test_bad_feedback_names_the_field(fresh_client, agent, body, field):
    r = fresh_client.post("/v1/feedback", json=body, headers=agent)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_feedback_needs_agent_credentials(fresh_client):
    assert send(fresh_client, {}, "AAAAAAAAAAAAAAAA", "copied").status_code == 401


def test_duplicate_counts_once_and_an_edit_is_counted_as_edited(fresh_app, fresh_client, agent, editor):
    shop = {"shop_key": "default"}
    data = suggest(fresh_client, agent, COLOUR, **shop)
    first, second, third = data["suggestions"][:3]
    # Reported at once: the suggest event may still be queued, not yet written.
    r = send(fresh_client, agent, first["suggestion_id"], "copied")
    assert r.status_code == 200 and r.json() == {"counted": True}
    assert send(fresh_client, agent, first["suggestion_id"], "copied").json() == {"counted": False}
    assert send(fresh_client, agent, first["suggestion_id"], "sent", final_text=first["text"]).json() == {"counted": True}
    send(fresh_client, agent, second["suggestion_id"], "sent", final_text=second["text"] + "有问题随时找我哦")
    send(fresh_client, agent, third["suggestion_id"], "dismissed", reason="不相关")

    fresh_app.state.events.flush()
    rows = {
        row["template_id"]: row
        for row in fresh_client.get("/v1/stats", headers=editor).json()["by_template"]
    }
    assert rows[first["template_id"]]["accepted"] >= 1
    assert rows[second["template_id"]]["edited"] >= 1
    assert rows[third["template_id"]]["dismissed"] >= 1


def test_stats_need_the_editor_role(fresh_client, agent):
    assert fresh_client.get("/v1/stats").status_code == 401
    r = fresh_client.get("/v1/stats", headers=agent)
    assert r.status_code == 403
    assert "模板编辑" in r.json()["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("from=yesterday", "from"),
        ("to=2026-11-31", "to"),
        ("from=2026-11-30&to=2026-11-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "from"),
    ],
)
def test_bad_dates_name_the_field(fresh_client, editor, query, field):
    r = fresh_client.get(f"/v1/stats?{query}", headers=editor)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def _event(at, ids, intents, templates, who="xiaomei", kind="session", shop="seeded", message="颜色不对"):
    shown = [Shown(sid, tid, tid.split("/")[0], n, f"亲，这是第{n}条回复") for n, (sid, tid) in enumerate(zip(ids, templates, strict=True), 1)]
    return SuggestEvent(at, shop, who, kind, intents, [], message, shown)


def test_stats_figures_on_a_seeded_month(fresh_app, fresh_client, editor):
    store = fresh_app.state.events.store
    d = lambda day, hour=4: datetime(2026, 10, day, hour, tzinfo=UTC)  # noqa: E731 - 12:00 in Beijing
    store.add(
        [
            _event(d(3), ["c1", "c2"], [("color_difference", 0.9)], ["color_difference/standard", "color_difference/apology"]),
            _event(d(3), ["c3"], [("color_difference", 0.8)], ["color_difference/standard"], who="key:im-bot", kind="key"),
            _event(d(5), ["q1", "r1"], [("quality_defect", 0.9), ("logistics_delay", 0.7)],
                   ["quality_defect/standard", "logistics_delay/standard"]),
            _event(d(20), [], [], [], message="你们招客服吗"),
            _event(d(31, 17), ["u1"], [("usage_guide", 0.8)], ["usage_guide/standard"]),  # 1 Nov in Beijing: left out
            _event(d(3), ["o1"], [("color_difference", 0.9)], ["color_difference/standard"], shop="other"),
        ],
        [
            CheckEvent(d(3), "seeded", "xiaomei", "session", ["carrier_commitment"], True),
            CheckEvent(d(4), "seeded", "xiaomei", "session", ["delivery_guarantee", "carrier_commitment"], False),
        ],
    )
    store.feedback("c1", "sent", final_text="亲，这是第1条回复")  # unchanged: accepted
    store.feedback("c2", "dismissed", reason="语气不对")
    store.feedback("c3", "sent", final_text="亲，这是我自己改过的回复")  # edited
    store.feedback("q1", "copied")

    r = fresh_client.get("/v1/stats?from=2026-10-01&to=2026-10-31&shop=seeded", headers=editor)
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["from"], s["to"], s["shop"]) == ("2026-10-01", "2026-10-31", "seeded")
    assert (s["messages"], s["no_match"]) == (4, 1)
    assert s["no_match_rate"] == 0.25
    by_intent = {row["id"]: row for row in s["by_intent"]}
    colour = by_intent["color_difference"]
    assert (colour["label"], colour["category"], colour["priority"], colour["count"]) == ("色差", "商品不符", "medium", 2)
    assert (colour["shown"], colour["accepted"], colour["edited"], colour["dismissed"]) == (3, 1, 1, 1)
    assert by_intent["quality_defect"]["category"] == "商品质量" and by_intent["quality_defect"]["priority"] == "high"
    assert s["by_intent"][0]["id"] == "color_difference"  # top intents first
    categories = {row["category"]: row for row in s["by_category"]}
    assert {c: row["count"] for c, row in categories.items()} == {"商品不符": 2, "商品质量": 1, "物流问题": 1}
    assert categories["物流问题"]["priority"] == "high"
    assert s["by_category"][-1]["category"] == "商品不符"  # high priority classes first
    assert {row["priority"]: row["count"] for row in s["by_priority"]} == {"high": 1, "medium": 2}
    assert s["suggestions"] == {"shown": 5, "accepted": 2, "edited": 1, "dismissed": 1, "acceptance_rate": 0.6}
    standard = next(t for t in s["by_template"] if t["template_id"] == "color_difference/standard")
    assert (standard["shown"], standard["accepted"], standard["edited"], standard["acceptance_rate"]) == (2, 1, 1, 1.0)
    assert s["dismiss_reasons"] == [{"reason": "语气不对", "count": 1}]
    assert s["flags"] == [{"rule": "carrier_commitment", "count": 2}, {"rule": "delivery_guarantee", "count": 1}]
    assert s["checks"] == {"flagged": 2, "blocked": 1}
    agents = {row["agent"]: row for row in s["by_agent"]}
    assert agents["xiaomei"]["messages"] == 3 and agents["key:im-bot"]["kind"] == "key"
    assert agents["key:im-bot"]["edited"] == 1
    assert len(s["by_day"]) == 31
    days = {row["date"]: row for row in s["by_day"]}
    assert days["2026-10-03"]["messages"] == 2 and days["2026-10-20"]["no_match"] == 1
    assert days["2026-10-04"]["messages"] == 0
    assert [w["week"] for w in s["by_week"]][:2] == ["2026-09-28", "2026-10-05"]  # weeks start on Monday
    assert s["by_month"] == [
        {"month": "2026-10", "messages": 4, "no_match": 1, "by_category": s["by_category"]}
    ]

    everything = fresh_client.get("/v1/stats?from=2026-10-01&to=2026-10-31", headers=editor).json()
    assert everything["messages"] == 5 and everything["shop"] is None


def test_check_results_are_recorded(fresh_app, fresh_client, agent, editor):
    r = fresh_client.post(
        "/v1/check", json={"text": "可以的亲，给您发韵达，保证后天到", "shop": {"carriers": ["申通"]}}, headers=agent
    )
    assert r.status_code == 200
    fresh_app.state.events.flush()
    s = fresh_client.get("/v1/stats", headers=editor).json()
    assert s["checks"]["blocked"] >= 1
    assert "carrier_commitment" in {f["rule"] for f in s["flags"]}


def test_the_ranking_learns_the_template_agents_prefer(fresh_app, fresh_client, agent):
    events = fresh_app.state.events
    shop = {"shop_key": "default"}
    assert suggest(fresh_client, agent, COLOUR, **shop)["suggestions"][0]["template_id"] == "color_difference/standard"
    for _ in range(12):
        data = suggest(fresh_client, agent, COLOUR, **shop)
        for s in data["suggestions"]:
            if s["template_id"] == "color_difference/short":
                send(fresh_client, agent, s["suggestion_id"], "sent", final_text=s["text"])
            else:
                send(fresh_client, agent, s["suggestion_id"], "dismissed", reason="太长了")
    events.flush()
    events.refresh_ranking()  # the background thread does this every 30 s
    assert suggest(fresh_client, agent, COLOUR, **shop)["suggestions"][0]["template_id"] == "color_difference/short"
    # Another shop has no such record: the default order.
    other = fresh_app.state.events.ranking.for_shop("elsewhere")
    assert other is None


def test_with_recording_off_ids_are_given_and_feedback_is_dropped(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'off.db'}", agent_access="open", record_events=False)
    app = create_app(settings)
    with TestClient(app) as client:
        data = suggest(client, {}, COLOUR)
        sid = data["suggestions"][0]["suggestion_id"]
        assert sid
        r = send(client, {}, sid, "copied")
        assert r.status_code == 200 and r.json() == {"counted": False}
        app.state.events.flush()
        assert not app.state.events.store.has_suggestion(sid)
    app.state.store_engine.dispose()


def test_the_message_is_stored_masked(fresh_app, fresh_client, agent):
    data = suggest(fresh_client, agent, "颜色和图片差好多，我电话 13912345678，订单号 3312456789012")
    fresh_app.state.events.flush()
    before = datetime.now(UTC) - timedelta(minutes=5)
    stats = fresh_app.state.events.store.stats(before, datetime.now(UTC) + timedelta(minutes=1))
    assert stats.messages >= 1
    with fresh_app.state.store_engine.connect() as conn:
        messages = list(conn.scalars(select(SuggestEventRow.message)))
    assert any("139****5678" in m for m in messages)
    assert not any("13912345678" in m or "3312456789012" in m for m in messages)
    assert data["suggestions"]


def test_an_undone_dismissal_is_taken_back(fresh_app, fresh_client, agent, editor):
    data = suggest(fresh_client, agent, TWO_PROBLEMS, shop_key="default")
    card = data["suggestions"][0]

    def dismissed() -> int:
        fresh_app.state.events.flush()
        rows = {r["template_id"]: r for r in fresh_client.get("/v1/stats", headers=editor).json()["by_template"]}
        return rows[card["template_id"]]["dismissed"] if card["template_id"] in rows else 0

    before = dismissed()
    assert send(fresh_client, agent, card["suggestion_id"], "dismissed", reason="语气不对").json() == {"counted": True}
    assert dismissed() == before + 1
    url = f"/v1/feedback/{card['suggestion_id']}/dismissed"
    assert fresh_client.delete(url, headers=agent).json() == {"counted": True}  # 撤销
    assert dismissed() == before
    assert fresh_client.delete(url, headers=agent).json() == {"counted": False}  # nothing left to take back
    # dismissed again later: counted again
    assert send(fresh_client, agent, card["suggestion_id"], "dismissed").json() == {"counted": True}
    assert dismissed() == before + 1
    assert fresh_client.delete(url).status_code == 401
