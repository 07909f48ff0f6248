"""The event store on SQLite and PostgreSQL: events, feedback semantics, masking, retention, the recorder."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.store.errors import NotFound
from app.store.events import (
    CheckEvent,
    EventRecorder,
    EventStore,
    Shown,
    SuggestEvent,
    mask_personal,
    new_suggestion_id,
)
from app.store.models import CheckEventRow, FeedbackRow, ShownSuggestionRow, SuggestEventRow

DAY = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)  # 11:00 in Beijing
STANDARD = "亲爱的小王，非常抱歉给您带来不便，我们马上为您处理。"
APOLOGY = "亲，真的很抱歉，这边马上帮您核实，请您稍等一下哦。"


@pytest.fixture
def events(db, clock) -> EventStore:
    clock.now = DAY + timedelta(days=1)
    return EventStore(db.engine, clock=clock)


def suggest_event(
    ids: list[str],
    *,
    at: datetime = DAY,
    shop: str = "flagship",
    who: str = "xiaomei",
    kind: str = "session",
    message: str = "收到的鞋子颜色和图片差好多",
    intents: list[tuple[str, float]] | None = None,
    templates: list[str] | None = None,
) -> SuggestEvent:
    intents = [("color_difference", 0.93)] if intents is None else intents
    templates = templates or ["color_difference/standard", "color_difference/apology"]
    texts = [STANDARD, APOLOGY]
    shown = [
        Shown(sid, tid, tid.split("/")[0], rank, texts[(rank - 1) % 2])
        for rank, (sid, tid) in enumerate(zip(ids, templates, strict=False), start=1)
    ]
    return SuggestEvent(at, shop, who, kind, intents, [], message, shown)


def test_feedback_needs_a_shown_suggestion_and_counts_a_repeat_once(events):
    events.add([suggest_event(["s1", "s2"])])
    with pytest.raises(NotFound):
        events.feedback("never-shown", "copied")
    assert events.feedback("s1", "copied") is True
    assert events.feedback("s1", "copied") is False  # the workbench retried: still one
    assert events.feedback("s1", "sent", final_text=STANDARD) is True
    assert [f["action"] for f in events.feedback_for("s1")] == ["copied", "sent"]

    figures = events.stats(DAY - timedelta(days=1), DAY + timedelta(days=1)).suggestions
    assert (figures.shown, figures.accepted, figures.edited, figures.dismissed) == (2, 1, 0, 0)
    assert figures.acceptance_rate == 0.5


def test_a_final_text_that_differs_is_an_edit_and_whitespace_is_not(events):
    events.add([suggest_event(["a", "b"]), suggest_event(["c", "d"])])
    events.feedback("a", "sent", final_text=STANDARD + "\n")  # a trailing line break: unchanged
    events.feedback("c", "sent", final_text=STANDARD.replace("马上", "今天之内"))
    events.feedback("d", "dismissed", reason="语气不对")
    assert events.feedback_for("a")[0]["edited"] is False
    assert events.feedback_for("c")[0]["edited"] is True

    stats = events.stats(DAY - timedelta(days=1), DAY + timedelta(days=1))
    s = stats.suggestions
    assert (s.shown, s.accepted, s.edited, s.dismissed) == (4, 1, 1, 1)
    assert s.acceptance_rate == 0.5  # (accepted + edited) / shown
    assert stats.dismiss_reasons == {"语气不对": 1}
    apology = stats.by_template["color_difference/apology"]
    assert (apology.shown, apology.dismissed) == (2, 1)


def test_nothing_unmasked_is_stored(db, events):
    phone, order, tracking, bare = "13812345678", "3312456789", "SF1234567890123", "2024060112345678"
    message = f"我电话{phone}，订单号{order}，快递单号{tracking}，还有个单{bare}，全角的１３９８７６５４３２１也是"
    events.add([suggest_event(["m1"], message=message)])
    events.feedback("m1", "sent", final_text=f"亲，已为您登记，联系电话 {phone}，订单 {order}")

    with db.engine.connect() as conn:
        stored = [
            *conn.scalars(select(SuggestEventRow.message)),
            *conn.scalars(select(FeedbackRow.final_text)),
        ]
    assert stored and all(stored)
    for text in stored:
        for secret in (phone, order, tracking, bare, "13987654321", "１３９８７６５４３２１"):
            assert secret not in text
        assert not re.search(r"\d{7,}", text)
    assert "138****5678" in stored[0]
    assert "****6789" in stored[0]  # the last four digits still tell an agent which order


def test_mask_keeps_the_rest_of_the_message():
    assert mask_personal("颜色不对，订单号 3312456789 麻烦看下") == "颜色不对，订单号 ****6789 麻烦看下"
    assert mask_personal("这双鞋42码有点小") == "这双鞋42码有点小"
    assert mask_personal("我的手机 138-1234-5678") == "我的手机 138****5678"


def test_stats_count_messages_intents_days_agents_and_checks(events):
    night = datetime(2026, 11, 10, 17, 30, tzinfo=UTC)  # 01:30 on 11 Nov in Beijing
    events.add(
        [
            suggest_event(["x1", "x2"]),
            suggest_event(
                ["y1"], at=night, who="key:im-bot", kind="key",
                intents=[("quality_defect", 0.8), ("return_refund", 0.7)],
                templates=["quality_defect/standard"],
            ),
            suggest_event([], intents=[], message="你们公司还招人吗"),
            suggest_event(["z1"], shop="outlet"),
        ],
        [
            CheckEvent(DAY, "flagship", "xiaomei", "session", ["carrier_commitment", "delivery_guarantee"], True),
            CheckEvent(DAY, "flagship", "xiaomei", "session", ["delivery_guarantee"], False),
        ],
    )
    events.feedback("y1", "inserted")
    cats = {"color_difference": "商品不符", "quality_defect": "商品质量", "return_refund": "售后"}
    prios = {"color_difference": "medium", "quality_defect": "high", "return_refund": "medium"}
    tz = timezone(timedelta(hours=8))  # Beijing
    stats = events.stats(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), "flagship", tz, cats, prios
    )
    assert (stats.messages, stats.no_match) == (3, 1)
    assert stats.intents == {"color_difference": 1, "quality_defect": 1, "return_refund": 1}
    assert stats.categories == {"商品不符": 1, "商品质量": 1, "售后": 1}
    assert stats.priorities == {"medium": 2, "high": 1}  # one message with two medium intents counts once
    assert {d.isoformat(): p.messages for d, p in stats.days.items()} == {"2026-11-10": 2, "2026-11-11": 1}
    assert stats.agent_messages == {("xiaomei", "session"): 2, ("key:im-bot", "key"): 1}
    assert stats.by_agent[("key:im-bot", "key")].accepted == 1
    assert (stats.checks, stats.blocked) == (2, 1)
    assert stats.flags == {"delivery_guarantee": 2, "carrier_commitment": 1}
    everywhere = events.stats(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert everywhere.messages == 4


def test_acceptance_counts_per_shop_and_template(events):
    events.add([suggest_event([f"a{i}", f"b{i}"]) for i in range(4)] + [suggest_event(["o1", "o2"], shop="outlet")])
    for i in range(3):
        events.feedback(f"b{i}", "sent", final_text="亲，我改了几个字再发的")
        events.feedback(f"b{i}", "copied")  # the same suggestion used twice counts once
    counts = {(c.shop, c.template_id): (c.shown, c.used) for c in events.acceptance_counts()}
    assert counts == {
        ("flagship", "color_difference/standard"): (4, 0),
        ("flagship", "color_difference/apology"): (4, 3),
        ("outlet", "color_difference/standard"): (1, 0),
        ("outlet", "color_difference/apology"): (1, 0),
    }


def test_retention_deletes_old_events_with_their_suggestions_and_feedback(db, events, clock):
    old, recent = DAY - timedelta(days=100), DAY - timedelta(days=10)
    events.add(
        [suggest_event(["old1"], at=old), suggest_event(["new1"], at=recent)],
        [CheckEvent(old, "flagship", "xiaomei", "session", ["pay_for_review"], True)],
    )
    events.feedback("old1", "dismissed", reason="不相关")
    events.feedback("new1", "copied")

    recorder = EventRecorder(events, retention_days=90)
    assert recorder.purge() == 2  # the old suggest event and the old check
    assert recorder.purge() == 0
    with db.engine.connect() as conn:
        assert list(conn.scalars(select(ShownSuggestionRow.suggestion_id))) == ["new1"]
        assert list(conn.scalars(select(FeedbackRow.suggestion_id))) == ["new1"]
        assert list(conn.scalars(select(CheckEventRow.id))) == []
    with pytest.raises(NotFound):
        events.feedback("old1", "sent")


def test_recorder_writes_in_the_background_and_feedback_may_come_first(events):
    recorder = EventRecorder(events, flush_interval=60).start()  # the thread will not flush by itself soon
    try:
        recorder.record_suggest(suggest_event(["q1"]))
        assert recorder.pending() == 1
        # The agent copies the suggestion before its batch is written: it is written first.
        assert recorder.feedback("q1", "copied") is True
        assert recorder.pending() == 0
        recorder.record_suggest(suggest_event(["q2"]))
    finally:
        recorder.close()  # writes what is left
    assert events.has_suggestion("q2")


def test_a_full_batch_wakes_the_writer(events):
    recorder = EventRecorder(events, flush_interval=60, batch_size=5).start()
    try:
        for i in range(5):
            recorder.record_suggest(suggest_event([f"w{i}"]))
        done = threading.Event()
        for _ in range(100):
            if events.has_suggestion("w4"):
                done.set()
                break
            done.wait(0.05)
        assert done.is_set()
    finally:
        recorder.close()


def test_recording_off_records_nothing_and_drops_feedback(events):
    recorder = EventRecorder(events, enabled=False)
    recorder.record_suggest(suggest_event(["off1"]))
    recorder.close()
    assert not events.has_suggestion("off1")
    assert recorder.feedback("off1", "copied") is False


def test_a_draft_checked_while_typing_is_one_event(events):
    recorder = EventRecorder(events)
    check = CheckEvent(DAY, "flagship", "xiaomei", "session", ["carrier_commitment"], True)
    for _ in range(5):  # 给您发韵 → 给您发韵达 → 给您发韵达哦 …: the same flag each time
        recorder.record_check(check)
    recorder.record_check(CheckEvent(DAY, "flagship", "xiaomei", "session", ["carrier_commitment", "delivery_guarantee"], True))
    recorder.record_check(CheckEvent(DAY, "flagship", "ajie", "session", ["carrier_commitment"], True))
    recorder.close()
    stats = events.stats(DAY - timedelta(days=1), DAY + timedelta(days=1))
    assert (stats.checks, stats.blocked) == (3, 3)


def test_feedback_reaching_another_process_waits_for_its_batch(db, events, clock):
    # Two server processes on one database: the suggestion was shown by the first, whose
    # queue is written within its flush interval; the feedback arrives at the second.
    shown_by = EventRecorder(events, flush_interval=0.3).start()
    other = EventRecorder(EventStore(db.new_engine(), clock=clock), flush_interval=0.3)
    try:
        sid = new_suggestion_id()
        shown_by.record_suggest(suggest_event([sid]))
        assert other.feedback(sid, "sent", final_text=STANDARD) is True
        t = time.monotonic()
        with pytest.raises(NotFound):
            other.feedback("AAAAAAAAAAAAAAAA", "sent")  # not issued lately: a 404 at once
        assert time.monotonic() - t < 0.3
    finally:
        shown_by.close()
