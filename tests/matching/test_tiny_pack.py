"""Each heuristic of the matcher, pinned on a tiny pack written for these tests."""

import dataclasses

import pytest

from app.content.models import IntentSpec
from app.matching.matcher import IntentMatcher
from app.matching.policy import Policy
from app.text.segment import Segmenter


def spec(iid, examples, keywords=(), standalone=False):
    return IntentSpec(id=iid, label=iid, category="测试", examples=list(examples), keywords=list(keywords), standalone=standalone)


INTENTS = {
    "color": spec("color", ["颜色和图片不一样", "颜色偏深了", "实物颜色发黄", "颜色跟照片差很多", "色差太大"], ["色差"]),
    "missing": spec("missing", ["少发了一件", "少了一个配件", "数量不对 少一个", "只收到一双", "缺了一个盖子"]),
    "delay": spec("delay", ["快递好几天不动了", "物流一直没更新", "怎么还没送到", "快递卡在中转站了", "派送太慢了"]),
    "greeting": spec("greeting", ["在吗", "你好", "有人吗", "亲 在不在", "客服在吗"], standalone=True),
}
OOS = ["今天天气真好", "你们招客服吗", "推荐一部电影", "晚上吃什么好", "你是机器人吗", "哈哈哈"]
BASE = Policy(C=1.0, keyword_boost=1.5, fuzzy_boost=2.0, fuzzy_max_len=8, fuzzy_min_ratio=80.0,
              accept=0.3, oos_ratio=1.0, secondary=0.35, whole_secondary=1.01, clauses=True, clause_may_lead=True)


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter()


def matcher(segmenter, **change):
    return IntentMatcher(INTENTS, OOS, segmenter, dataclasses.replace(BASE, **change))


def ids(m, message):
    return [i.id for i in m.match(message).intents]


def test_keyword_cue_finds_an_intent_its_examples_do_not_teach(segmenter):
    m = matcher(segmenter)
    assert ids(m, "这个色差我接受不了")[:1] == ["color"]
    off = matcher(segmenter, keyword_boost=0.0).match("这个色差我接受不了")
    on = m.match("这个色差我接受不了")
    assert on.intents[0].score > (off.intents[0].score if off.intents else off.best_rejected.score)


def test_negated_keyword_rules_its_intent_out(segmenter):
    assert "color" not in ids(matcher(segmenter), "不是色差 是少发了一件")


def test_fuzzy_match_raises_a_short_typo_and_only_a_short_one(segmenter):
    def best(r):
        return r.intents[0].score if r.intents else r.best_rejected.score

    on = matcher(segmenter, fuzzy_min_ratio=70.0)
    off = matcher(segmenter, fuzzy_min_ratio=70.0, fuzzy_boost=0.0)
    assert on.match("客服再吗").intents[0].id == "greeting"
    assert best(on.match("客服再吗")) > best(off.match("客服再吗"))
    long = "客服再吗 我想问一下"  # longer than fuzzy_max_len: no near-duplicate lookup
    assert best(on.match(long)) == best(off.match(long))


def test_clauses_find_two_problems_and_the_whole_message_alone_does_not(segmenter):
    message = "颜色偏深了，而且少发了一件"
    assert set(ids(matcher(segmenter), message)) == {"color", "missing"}
    assert len(ids(matcher(segmenter, clauses=False), message)) <= 1


def test_a_greeting_glued_in_front_does_not_become_the_intent(segmenter):
    assert ids(matcher(segmenter), "在吗 快递好几天不动了")[:1] == ["delay"]
    assert ids(matcher(segmenter), "在吗") == ["greeting"]


def test_chit_chat_gets_no_confident_match(segmenter):
    res = matcher(segmenter).match("晚上吃什么好呢")
    assert res.intents == [] and res.best_rejected is not None


def test_scores_are_probabilities(segmenter):
    res = matcher(segmenter).match("物流一直没更新，怎么还没送到")
    assert res.intents and all(0 < i.score <= 1 for i in res.intents)
    assert res.intents[0].id == "delay"


def test_a_not_a_question_does_not_fire_a_negative_keyword(segmenter):
    intents = {**INTENTS, "missing": spec("missing", INTENTS["missing"].examples, ["没有赠品"])}
    m = IntentMatcher(intents, OOS, segmenter, BASE)
    assert m._keyword_hits("收到了 里面没有赠品")[0] == {"missing": "没有赠品"}
    assert m._keyword_hits("买这个有没有赠品啊")[0] == {}


def test_thanks_in_every_clause_is_thanks(segmenter):
    thanks = spec("thanks", ["好的谢谢", "知道了", "没事了", "好的亲", "行 就这样吧", "谢谢啦"], standalone=True)
    m = IntentMatcher({**INTENTS, "thanks": thanks}, OOS, segmenter, BASE)
    assert ids(m, "好的 没事了 谢谢啦") == ["thanks"]


def test_the_near_duplicate_found_is_the_best_over_every_example(segmenter):
    # The lookup scans only the examples whose length allows the ratio: what it finds must be
    # what a scan of all of them finds (the closest example of each intent, ties in pack order).
    from rapidfuzz import fuzz, process

    m = matcher(segmenter, fuzzy_min_ratio=60.0)
    for message in ["客服再吗", "在吗", "你好呀", "色差太大了", "少发了一件吧", "哈哈", "有人"]:
        expected: dict[str, tuple[float, str]] = {}
        for example, ratio, i in process.extract(message, m._texts, scorer=fuzz.ratio, limit=5):
            if ratio >= 60.0 and m.docs[i].label not in expected:
                expected[m.docs[i].label] = (ratio / 100.0, example)
        assert m._view(message, 0, True).fuzzy == expected, message
