"""The inbox's messages from the event store (SQLite and PostgreSQL): which ones, for which period, how many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.store.events import EventStore, Shown, SuggestEvent
from app.store.inbox import InboxReader

DAY = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
REPLY = "亲，非常抱歉给您带来不便，我们马上为您处理。"


def event(message: str, intents, *, at: datetime = DAY, shop: str = "flagship", shown: list[str] = ()) -> SuggestEvent:
    first = intents[0][0] if intents else "greeting"
    cards = [Shown(sid, f"{first}/standard", first, rank, REPLY) for rank, sid in enumerate(shown, start=1)]
    return SuggestEvent(at, shop, "xiaomei", "session", intents, [], message, cards)


@pytest.fixture
def store(db, clock) -> EventStore:
    clock.now = DAY + timedelta(days=1)
    return EventStore(db.engine, clock=clock)


def read(db, **kw):
    return InboxReader(db.engine).messages(DAY - timedelta(days=1), DAY + timedelta(days=1), **kw)


def test_unmatched_low_confidence_and_dismissed_messages_and_nothing_else(db, store):
    store.add([
        event("鞋带能单独买吗", [], at=DAY),
        event("这个能用积分抵扣吗", [("payment_method", 0.55)], at=DAY + timedelta(minutes=1)),
        event("颜色和图片差好多", [("color_difference", 0.97)], at=DAY + timedelta(minutes=2), shown=["s1", "s2"]),
        event("快递到哪了", [("logistics_delay", 0.99)], at=DAY + timedelta(minutes=3), shown=["s3"]),
    ])
    store.feedback("s1", "dismissed", reason="不相关")
    store.feedback("s2", "dismissed")
    store.feedback("s3", "sent", final_text=REPLY)  # used: not the inbox's business

    got = read(db)
    assert [(m.message, sorted(m.kinds)) for m in got] == [
        ("颜色和图片差好多", ["dismissed"]),  # newest first
        ("这个能用积分抵扣吗", ["low_confidence"]),
        ("鞋带能单独买吗", ["no_match"]),
    ]
    assert sorted(got[0].dismissed, key=str) == [None, "不相关"]
    assert got[1].intents == [("payment_method", 0.55)]

    assert [m.message for m in read(db, kinds=("no_match",))] == ["鞋带能单独买吗"]
    assert [m.message for m in read(db, kinds=("dismissed",))] == ["颜色和图片差好多"]
    # A stricter notion of "confident" brings the 0.97 match in too.
    assert "颜色和图片差好多" in {m.message for m in read(db, kinds=("low_confidence",), low_confidence=0.98)}


def test_the_period_and_the_shop(db, store):
    store.add([
        event("鞋带能单独买吗", [], at=DAY - timedelta(days=3)),
        event("有实体店吗", [], shop="outdoor"),
        event("可以刻字吗", []),
    ])
    assert {m.message for m in read(db)} == {"有实体店吗", "可以刻字吗"}
    assert [m.message for m in read(db, shop="outdoor")] == ["有实体店吗"]


def test_the_messages_are_the_masked_ones(db, store):
    store.add([event("实体店在哪 我电话13812345678 订单号3312456789", [])])
    (m,) = read(db)
    assert "13812345678" not in m.message and "3312456789" not in m.message
    assert "138****5678" in m.message


def test_the_work_is_bounded_and_the_newest_are_kept(db, store):
    store.add([event(f"第{i}个新问题", [], at=DAY + timedelta(seconds=i)) for i in range(30)])
    got = read(db, limit=10)
    assert [m.message for m in got] == [f"第{i}个新问题" for i in range(29, 19, -1)]
    assert len(read(db, scan=5)) == 5  # only the newest five events were looked at
