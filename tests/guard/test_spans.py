"""Every flag points into the text as it was sent: ``excerpt == text[start:end]``."""

from __future__ import annotations

import random

import pytest

TRICKY = [
    "亲，可以的，给您发韵达，保证后天到",
    "加\u200b微\u200b信\ufeff聊",
    "ＶＸ：ａｂｃ１２３，加一下",
    "親，這邊給您發順豐，保證明天到貨！！！",
    "  保  证  明  天  到  ",
    "订单{{ order_id }}已发出，您好【买家昵称】",
    "订单｛｛order_id｝｝已发出",
    "🎉好评返现🎉5元🎉",
    "绝，对，没，问，题",
    "再拍1.5元凑个整数",
    "㈱公司说：给您多开10元发票",
    "\t你自己不会看吗？？？\n爱买不买",
    "e\u0301 加v 😀 加 q q",
    "上一位买家电话是138 1234 5678，您问问她",
]


def _check_spans(guard, text: str, shop=None) -> None:
    flags = guard.check(text, shop)
    seen = set()
    for f in flags:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.excerpt
        assert f.excerpt == f.excerpt.strip(), "a span does not start or end on a space"
        assert (f.rule, f.start, f.end) not in seen
        seen.add((f.rule, f.start, f.end))
    by_rule: dict[str, list] = {}
    for f in flags:
        by_rule.setdefault(f.rule, []).append(f)
    for same in by_rule.values():
        same.sort(key=lambda f: f.start)
        for a, b in zip(same, same[1:], strict=False):
            assert a.end <= b.start, "overlapping hits of one rule are merged"


@pytest.mark.parametrize("text", TRICKY)
def test_spans_point_into_the_original(guard, shoe_shop, text: str) -> None:
    assert guard.check(text, shoe_shop), f"expected some flag in {text!r}"
    _check_spans(guard, text, shoe_shop)


def test_spans_survive_random_noise(guard, shoe_shop) -> None:
    rnd = random.Random(20240601)
    noise = ["\u200b", " ", "\u3000", "·", "*", "，", "😊", "\ufeff", "\u200d", "Ａ", "！！"]
    for base in TRICKY:
        for _ in range(15):
            text = "".join(c + (rnd.choice(noise) if rnd.random() < 0.3 else "") for c in base)
            _check_spans(guard, text, shoe_shop)


def test_flag_shape_is_the_api_shape(guard) -> None:
    text = "可以的亲，给您发韵达，保证后天到"
    flags = guard.check(text, None)
    dumped = [f.model_dump() for f in flags]
    assert dumped
    for d in dumped:
        assert set(d) == {"rule", "severity", "start", "end", "excerpt", "message", "suggestion"}
        assert d["severity"] in {"block", "warn", "info"}
        assert isinstance(d["message"], str) and d["message"]
        assert d["excerpt"] == text[d["start"] : d["end"]]
    assert [d["start"] for d in dumped] == sorted(d["start"] for d in dumped)
