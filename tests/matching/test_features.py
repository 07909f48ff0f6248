"""Clauses and features: how the matcher sees a message."""

import pytest

from app.matching.features import Featurizer, clauses
from app.text.normalize import normalize
from app.text.segment import Segmenter


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("颜色不对，而且还少发了一件", ["颜色不对", "而且还少发了一件"]),
        ("亲 收到了 鞋底开胶了 另外发票什么时候开", ["亲 收到了", "鞋底开胶了", "另外发票什么时候开"]),
        ("在吗", ["在吗"]),
        ("包装破了！！！里面杯子也碎了", ["包装破了", "里面杯子也碎了"]),
        # Run-on turns join their messages with connectives, not commas.
        ("上午把地址填错了然后申请了退款", ["上午把地址填错了", "然后申请了退款"]),
        ("等了五天结果还没发货", ["等了五天", "结果还没发货"]),
    ],
)
def test_clauses_split_problems_and_keep_offsets(message, expected):
    text = normalize(message).text
    got = clauses(text)
    assert [c.text for c in got] == expected
    assert all(text[c.start : c.end] == c.text for c in got)


@pytest.fixture(scope="module")
def featurizer():
    return Featurizer(Segmenter(["色差"]))


def test_domain_words_stay_whole(featurizer):
    feats = featurizer.features(normalize("这色差也太大了").text)
    assert feats["w:色差"] == 1
    assert feats["c2:色差"] == 1 and feats["c1:色"] == 1


def test_a_new_domain_word_is_another_segmenter_and_other_features(featurizer):
    text = normalize("羽绒服一直钻毛").text
    before = featurizer.features(text)
    grown = featurizer.segmenter.with_words(["一直钻毛"])
    after = Featurizer(grown).features(text)
    assert after["w:一直钻毛"] == 1 and before["w:一直钻毛"] == 0
    assert featurizer.features(text)["w:一直钻毛"] == 0  # the first segmenter did not learn it
    assert grown.fingerprint() != featurizer.segmenter.fingerprint()


def test_punctuation_and_spaces_are_not_features(featurizer):
    feats = featurizer.features(normalize("好的！！ 谢谢").text)
    assert not any(k.endswith(("!", " ")) for k in feats)


def test_a_clause_cut_within_its_message_has_the_features_it_has_alone(featurizer):
    # The words of the message's runs of text are reused for its clauses: never other words.
    text = normalize("亲 衣服颜色跟图片完全不一样，而且还少发了一条裤子，色差也太大了 abc-12 3.5%").text
    words: dict[str, list[str]] = {}
    for piece in [text, *(c.text for c in clauses(text))]:
        assert featurizer.features(piece, words) == Featurizer(featurizer.segmenter).features(piece)
    assert words  # the runs were remembered for the clauses
