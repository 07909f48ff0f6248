"""The matcher's judgement on messages written for these tests (not taken from any eval set)."""

import pytest


def ids(engine, message):
    return [m.id for m in engine.matcher.match(message).intents]


def test_negated_keyword_rules_an_intent_out(engine):
    got = ids(engine, "不是色差，是你们发错颜色了，我拍的黑色")
    assert got[0] == "wrong_item"
    assert "color_difference" not in got


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("鞋底开胶了而且鞋带也少了一根", {"quality_defect", "missing_item"}),
        ("快递五天没动了 再不到我就投诉到平台", {"logistics_delay", "complaint_escalation"}),
    ],
)
def test_each_problem_is_found(engine, message, expected):
    assert expected <= set(ids(engine, message))


def test_scores_are_ordered_and_bounded(engine):
    res = engine.matcher.match("收到的杯子碎了，箱子也压扁了，还少了一个杯盖")
    scores = [m.score for m in res.intents]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_no_confident_match_keeps_the_nearest_for_the_ui(engine):
    res = engine.matcher.match("周末去哪里爬山比较好")
    assert res.intents == []
    assert res.best_rejected is not None and res.best_rejected.score < engine.matcher.policy.accept


def test_typos_and_homophones(engine):
    assert ids(engine, "这个色查太大了吧")[:1] == ["color_difference"]
    assert ids(engine, "东西漏法了一件")[:1] == ["missing_item"]


def test_a_not_a_question_is_not_a_negation(engine):
    assert "authenticity" in ids(engine, "你们家卖的到底是不是正品啊")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a refund for a wrong or repeated purchase, nothing said about shipping: before delivery, a cancellation
        ("不好意思拍重复了 退掉一单吧", "cancel_order"),
        ("刚下完单就后悔了 能直接退款吗", "cancel_order"),
        # once it has arrived, the same regret is a return, and 换 is an exchange
        ("东西收到了 才发现买错型号 能退货吗", "return_refund"),
        ("买错尺码了 到手穿不上 想换个大的", "exchange_request"),
    ],
)
def test_a_wrong_purchase_is_cancelled_returned_or_exchanged_by_what_has_happened(engine, message, expected):
    assert ids(engine, message)[:1] == [expected]

