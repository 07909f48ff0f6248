"""The trained classifier cached on disk: reused when nothing it was trained on changed,
trained again when something did, and never trusted when the file is damaged."""

import dataclasses

import numpy as np
import pytest

from app.content.models import IntentSpec
from app.matching import classifier as classifier_module
from app.matching.index_cache import IndexCache
from app.matching.matcher import IntentMatcher
from app.matching.policy import Policy
from app.text.segment import Segmenter


def spec(iid, examples, keywords=()):
    return IntentSpec(id=iid, label=iid, category="测试", examples=list(examples), keywords=list(keywords))


INTENTS = {
    "color": spec("color", ["颜色和图片不一样", "颜色偏深了", "实物颜色发黄", "颜色跟照片差很多", "色差太大"], ["色差"]),
    "missing": spec("missing", ["少发了一件", "少了一个配件", "数量不对 少一个", "只收到一双", "缺了一个盖子"]),
    "delay": spec("delay", ["快递好几天不动了", "物流一直没更新", "怎么还没送到", "快递卡在中转站了", "派送太慢了"]),
}
OOS = ["今天天气真好", "你们招客服吗", "推荐一部电影", "晚上吃什么好", "你是机器人吗", "哈哈哈"]
POLICY = Policy(C=1.0, keyword_boost=1.5, fuzzy_boost=2.0, fuzzy_max_len=8, fuzzy_min_ratio=80.0,
                accept=0.3, oos_ratio=1.0, secondary=0.35, whole_secondary=1.01, clauses=True, clause_may_lead=True)
MESSAGES = ["颜色和图片差太多了，而且还少发了一件", "快递一直不动", "在吗", "色差"]


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter()


@pytest.fixture
def trainings(monkeypatch):
    """How many times a classifier was really trained (not loaded)."""
    count = [0]
    real = classifier_module.Classifier.train.__func__

    def counting(cls, *args, **kwargs):
        count[0] += 1
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(classifier_module.Classifier, "train", classmethod(counting))
    return count


def build(segmenter, cache, intents=INTENTS, policy=POLICY):
    return IntentMatcher(intents, OOS, segmenter, policy, index_cache=cache)


def answers(m):
    out = []
    for msg in MESSAGES:
        r = m.match(msg, explain=True)
        out.append([(i.id, i.score, [e.as_dict() for e in i.evidence]) for i in r.intents])
    return out


def entries(tmp_path):
    return sorted(tmp_path.glob("matcher-*.npz"))


def test_second_build_loads_what_the_first_trained(segmenter, tmp_path, trainings):
    first = build(segmenter, IndexCache(tmp_path))
    assert trainings[0] == 1 and len(entries(tmp_path)) == 1
    second = build(segmenter, IndexCache(tmp_path))  # as a new process would: a fresh cache object
    assert trainings[0] == 1
    # The same answers, scores and explanations (nearest examples) as the trained one.
    assert answers(second) == answers(first)
    assert second.docs == first.docs


def test_an_edited_example_or_setting_trains_again(segmenter, tmp_path, trainings):
    cache = IndexCache(tmp_path)
    build(segmenter, cache)
    edited = dict(INTENTS, delay=spec("delay", [*INTENTS["delay"].examples[:-1], "派送实在太慢了"]))
    m = build(segmenter, cache, edited)
    assert trainings[0] == 2
    assert "派送实在太慢了" in [d.text for d in m.docs]
    build(segmenter, cache, policy=dataclasses.replace(POLICY, C=2.0))  # another model setting
    assert trainings[0] == 3
    build(segmenter, cache)  # back to the first content: still cached
    assert trainings[0] == 3
    assert len(entries(tmp_path)) == 3


def test_a_new_keyword_changes_the_key(tmp_path, trainings):
    # Keywords become jieba words: the features, and so the model, may differ.
    cache = IndexCache(tmp_path)
    build(Segmenter(), cache)
    with_kw = dict(INTENTS, missing=spec("missing", INTENTS["missing"].examples, ["缺了一个盖子"]))
    build(Segmenter(), cache, with_kw)
    assert trainings[0] == 2
    # A keyword the domain dictionary already keeps whole (漏发) splits nothing differently: same key.
    already = dict(INTENTS, missing=spec("missing", INTENTS["missing"].examples, ["漏发"]))
    build(Segmenter(), cache, already)
    assert trainings[0] == 2


def test_the_domain_dictionary_is_in_the_key(tmp_path, trainings):
    # A domain word added or removed (a lexicon edit) changes splits: trained again, and back.
    cache = IndexCache(tmp_path)
    build(Segmenter(), cache)
    build(Segmenter(["快递卡在"]), cache)
    assert trainings[0] == 2
    build(Segmenter(), cache)
    assert trainings[0] == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_shape", "other_key"])
def test_a_damaged_cache_file_is_ignored_and_replaced(segmenter, tmp_path, trainings, damage):
    good = build(segmenter, IndexCache(tmp_path))
    (path,) = entries(tmp_path)
    if damage == "garbage":
        path.write_bytes(b"not a numpy file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    else:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        if damage == "wrong_shape":
            arrays["coef_t"] = arrays["coef_t"][:-1]
        else:
            arrays["header"] = np.asarray(str(arrays["header"][()]).replace('"key": "', '"key": "x'))
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    again = build(segmenter, IndexCache(tmp_path))
    assert trainings[0] == 2
    assert answers(again) == answers(good)
    build(segmenter, IndexCache(tmp_path))  # the retrained model replaced the damaged file
    assert trainings[0] == 2


def test_an_unwritable_cache_only_costs_training(segmenter, tmp_path, trainings):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    m = build(segmenter, IndexCache(blocker / "cache"))  # a directory that cannot be created
    assert trainings[0] == 1 and m.match("色差太大").intents[0].id == "color"


def test_only_the_most_recent_entries_are_kept(segmenter, tmp_path):
    cache = IndexCache(tmp_path, keep=2)
    for c in (1.0, 2.0, 3.0):
        build(segmenter, cache, policy=dataclasses.replace(POLICY, C=c))
    assert len(entries(tmp_path)) == 2


def test_buyer_messages_are_not_kept_in_memory(segmenter):
    # Only training examples' features are cached: a server answering thousands of different
    # messages must not grow (it grew ~13.5 MB per 1,000 messages when every message was kept).
    import random
    import tracemalloc

    m = build(segmenter, None)
    rng = random.Random(1)
    alphabet = "".join(chr(0x4E00 + k) for k in range(300))  # a fixed set: per-character tables fill up in the warm-up

    def unique(i):
        return "颜色和图片不一样，而且" + "".join(rng.choice(alphabet) for _ in range(8)) + str(i)

    m.match(alphabet + "0123456789")
    for i in range(50):  # warm up whatever is allocated once
        m.match(unique(i))
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(400):
            m.match(unique(1000 + i), explain=i % 2 == 0)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 400_000, f"{grown} bytes kept after 400 messages"
    assert m.match("颜色和图片不一样").intents[0].id == "color"  # and training examples still score
