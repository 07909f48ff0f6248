"""Grouping the inbox's messages: variants of one question are one group, different questions are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.editing.inbox import build_groups, trained_idf
from app.matching.grouping import group_texts
from app.store.inbox import InboxMessage
from app.text.normalize import normalize

#: New questions the bundled content has no intent for, each asked several ways.
QUESTIONS = {
    "points": ["会员积分怎么兑换", "积分兑换在哪里呀", "亲 我的积分怎么用不了", "积分可以换东西吗", "攒的积分能换礼品吗"],
    "laces": ["鞋带能单独买吗", "鞋带可以单独卖给我一副吗", "能不能单买一副鞋带", "想单独买一副鞋带 有卖吗"],
    "store": ["你们有没有实体店", "实体店在哪", "有实体店可以去试穿吗"],
    "engraving": ["鞋子可以刻字吗 想送男朋友", "能刻字吗", "可以免费刻字吗 刻个名字"],
}


def grouped(engine, texts: list[str], weights=None) -> list[set[str]]:
    normalized = [normalize(t).text for t in texts]
    groups = group_texts(normalized, engine.matcher.featurizer.features, weights, idf=trained_idf(engine))
    return [{texts[i] for i in g} for g in groups]


def test_each_question_is_one_group_and_different_questions_are_not(engine):
    texts = [t for variants in QUESTIONS.values() for t in variants]
    groups = grouped(engine, texts)
    for name, variants in QUESTIONS.items():
        holding = [g for g in groups if g & set(variants)]
        assert holding == [set(variants)], f"{name}: {holding}"


def test_the_order_of_the_messages_does_not_split_a_question(engine):
    texts = [t for variants in QUESTIONS.values() for t in variants][::-1]
    assert sorted(map(sorted, grouped(engine, texts))) == sorted(sorted(v) for v in QUESTIONS.values())


def test_the_most_frequent_text_leads_its_group_and_the_heaviest_group_comes_first(engine):
    texts = QUESTIONS["store"] + QUESTIONS["laces"]
    weights = [1, 1, 1, 1, 9, 1, 1]  # 鞋带可以单独卖给我一副吗 nine times
    normalized = [normalize(t).text for t in texts]
    groups = group_texts(normalized, engine.matcher.featurizer.features, weights, idf=trained_idf(engine))
    assert texts[groups[0][0]] == "鞋带可以单独卖给我一副吗"
    assert {texts[i] for i in groups[0]} == set(QUESTIONS["laces"])


def test_nothing_to_group():
    assert group_texts([], lambda t: {}) == []


def _message(i: int, text: str, at: datetime, kinds=("no_match",)) -> InboxMessage:
    return InboxMessage(i, at, "flagship", text, f"h{i}", [], set(kinds), [])


def test_inbox_groups_count_repeats_and_leave_out_what_is_already_an_example(engine):
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    texts = QUESTIONS["points"] * 10 + QUESTIONS["laces"] + ["发错货了"]  # 发错货了: a bundled example of wrong_item
    messages = [_message(i, t, now - timedelta(minutes=i)) for i, t in enumerate(texts)]
    groups, handled = build_groups(messages, engine)
    assert handled == 1
    assert [g["count"] for g in groups] == [50, 4]  # 50 messages of one new question: one row
    points = groups[0]
    assert set(points["texts"]) == set(QUESTIONS["points"]) and points["distinct"] == 5
    assert points["kinds"] == {"no_match": 50}
    assert points["now"]["no_match"] == points["now"]["checked"] > 0  # the engine has no answer yet


def test_texts_that_differ_only_in_spaces_are_one_entry(engine):
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    texts = ["鞋带能单独买吗", "鞋带能单独买吗 ", " 鞋带能单独买吗\n"]
    groups, _ = build_groups([_message(i, t, now) for i, t in enumerate(texts)], engine)
    assert len(groups) == 1 and groups[0]["count"] == 3 and groups[0]["texts"] == ["鞋带能单独买吗"]
