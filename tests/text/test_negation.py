"""Negation cues, defined once (app/text/negation.py): what negates a word, and the A-not-A question
that does not — the matcher's keywords and the guard's cues read them the same way."""

from __future__ import annotations

import pytest

from app.text.negation import is_a_not_a, negated


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("不是色差，是发错了", "色差", True),
        ("并不是质量问题", "质量问题", True),
        ("没什么问题", "问题", True),
        ("是不是正品", "正品", False),  # asks
        ("有没有什么赠品", "赠品", False),  # asks: 没有什么 inside 有没有什么
        ("色差太大了", "色差", False),
    ],
)
def test_a_negation_right_before_a_word(text, word, expected):
    assert negated(text, text.index(word)) is expected


@pytest.mark.parametrize(
    ("text", "i", "expected"),
    [("能不能保证", 1, True), ("有没有赠品", 1, True), ("不能保证", 0, False), ("保证不了", 2, False)],
)
def test_the_a_not_a_question(text, i, expected):
    assert is_a_not_a(text, i) is expected


def test_matcher_and_guard_agree_on_a_not_a(engine):
    # The guard: 不能保证 cancels a promise, but 能不能保证 only asks and cancels nothing.
    assert "delivery_guarantee" not in {f.rule for f in engine.guard.check("不能保证明天到哦")}
    assert "delivery_guarantee" in {f.rule for f in engine.guard.check("能不能保证明天到？可以保证明天到")}
    # The matcher: 不是色差 rules the colour intent out, 是不是色差 asks and keeps it; 有没有赠品
    # asks whether there is a gift — it is not the keyword 没有赠品 (a missing item).
    assert engine.matcher._keyword_hits("不是色差") == ({}, {"color_difference"})
    assert engine.matcher._keyword_hits("是不是色差") == ({"color_difference": "色差"}, set())
    assert engine.matcher._keyword_hits("没有赠品") == ({"missing_item": "没有赠品"}, set())
    assert engine.matcher._keyword_hits("有没有赠品") == ({}, set())
