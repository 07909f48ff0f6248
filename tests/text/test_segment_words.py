"""A segmenter's words, and the prefix dictionary a new word set starts from.

Each segmenter holds one copy of jieba's main dictionary with its own words added; the
next word set copies a built one and takes those words back out.  Whatever the order
of the builds, a segmenter must split exactly as a fresh jieba tokenizer given the same
words would.
"""

from __future__ import annotations

import jieba
import pytest

from app.text.segment import Segmenter

TEXT = "亲 签收未收到 还有漏发了一件 顺丰速运什么时候到 七天无理由退货"


def fresh(words: dict[str, int], cache_dir) -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    tk.tmp_dir, tk.cache_file = str(cache_dir), "jieba.cache"
    tk.initialize()
    for w, f in words.items():
        tk.add_word(w, freq=f)
    return tk


@pytest.fixture
def cache(tmp_path):
    return tmp_path


def test_a_word_set_built_from_another_splits_like_a_fresh_tokenizer(cache) -> None:
    first = {"签收未收到": 5000, "顺丰速运": 5000}
    second = {"漏发了一件": 5000, "七天无理由": 5000}  # the first set's words gone, others added
    a = Segmenter.for_words(first, cache)
    a.tokens(TEXT)
    b = Segmenter.for_words(second, cache)  # copies a's dictionary and takes a's words back out
    assert b.tokens(TEXT) == [w for w in fresh(second, cache).lcut(TEXT, HMM=True) if not w.isspace()]
    assert b._tokenizer().FREQ == fresh(second, cache).FREQ
    assert "签收未收到" not in b.tokens(TEXT) and "签收未收到" in a.tokens(TEXT)
    assert "漏发了一件" in b.tokens(TEXT)


def test_a_word_that_the_main_dictionary_has_gets_its_own_frequency_back(cache) -> None:
    main = fresh({}, cache)
    assert main.FREQ.get("退货")  # jieba knows 退货
    raised = Segmenter.for_words({"退货": 1, "无理由退货": 9000}, cache)
    raised.tokens(TEXT)
    plain = Segmenter.for_words({"签收未收到": 5000}, cache)
    tk = plain._tokenizer()
    assert tk.FREQ["退货"] == main.FREQ["退货"]
    assert "无理由退货" not in tk.FREQ
    assert tk.total == main.total + 5000


def test_the_same_words_give_the_same_segmenter(cache) -> None:
    words = {"签收未收到": 5000}
    assert Segmenter.for_words(words, cache) is Segmenter.for_words(dict(words), cache)


def test_a_new_process_reads_the_compact_dictionary_and_gets_jiebas_own(cache, monkeypatch) -> None:
    from app.text import segment

    Segmenter.for_words({"签收未收到": 5000}, cache).tokens(TEXT)  # the first build writes it
    compact = cache / "jieba-freq.bin"
    assert compact.exists() and compact.stat().st_mode & 0o044 == 0o044  # readable by another user
    monkeypatch.setattr(segment, "_built", {})  # a new process: no segmenter to copy from
    main = fresh({}, cache)

    def jiebas_own(*_):
        raise AssertionError("jieba's own cache was read")

    monkeypatch.setattr(segment, "_initialize", jiebas_own)
    freq, total = segment._main_dictionary(cache)
    assert freq == main.FREQ and total == main.total


@pytest.mark.parametrize("damage", [b"", b"shouhou-jieba-freq 1\n{}\n", None])
def test_a_damaged_compact_dictionary_is_ignored_and_rewritten(cache, monkeypatch, damage) -> None:
    from app.text import segment

    Segmenter.for_words({"顺丰速运": 5000}, cache).tokens(TEXT)
    compact = cache / "jieba-freq.bin"
    good = compact.read_bytes()
    compact.write_bytes(good[:-100] if damage is None else damage)  # truncated, or not ours
    monkeypatch.setattr(segment, "_built", {})
    freq, total = segment._main_dictionary(cache)
    assert freq == fresh({}, cache).FREQ
    assert compact.read_bytes() == good  # written again from jieba's own
