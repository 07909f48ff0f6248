"""Normalisation: what the matcher and guard see, and spans that point back into what was sent."""

import pytest

from app.text.normalize import normalize


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("ＳＦ快递　４０码", "sf快递 40码"),  # full-width letters, digits and space
        ("實物顏色偏深，與描述不符", "实物颜色偏深,与描述不符"),  # traditional characters, full-width comma
        ("加\u200b微\u200d信", "加微信"),  # zero-width characters
        ("\ufeff在吗", "在吗"),  # BOM
        ("怎么回事！！！？？？", "怎么回事!?"),  # repeated punctuation
        ("太失望了😭😭😭 色差好大", "太失望了 色差好大"),  # emoji become a separator
        ("  前后   空白  ", "前后 空白"),
        ("XL码", "xl码"),
    ],
)
def test_normalised_text(sent, seen):
    assert normalize(sent).text == seen


@pytest.mark.parametrize(
    ("sent", "word"),
    [
        ("親，給您發ＳＦ好嗎", "给您发sf"),
        ("加\u200b微 信聊", "加微"),
        ("😓颜色不对😓少发一件", "少发一件"),
        ("ａｂｃ保证明天到", "保证明天到"),
    ],
)
def test_span_maps_back_to_original(sent, word):
    n = normalize(sent)
    start = n.text.index(word)
    a, b = n.span(start, start + len(word))
    # The original span, normalised again, reads as the word we found.
    assert normalize(sent[a:b]).text.replace(" ", "") == word.replace(" ", "")


def test_without_spaces_keeps_offsets():
    sent = "加 微\u200b 信 聊"
    n = normalize(sent).without(str.isspace)
    assert n.text == "加微信聊"
    a, b = n.span(0, 3)
    assert sent[a:b] == "加 微\u200b 信"


def test_empty_and_invisible_only():
    assert normalize("").text == ""
    assert normalize("\u200b\u200b ").text == ""
    with pytest.raises(ValueError):
        normalize("abc").span(0, 9)


def test_a_lone_surrogate_is_dropped_not_a_crash():
    # Half a UTF-16 pair has no UTF-8 form; OpenCC used to raise on it.  The API refuses such
    # text (422), but the CLI and any other caller may still pass one in.
    sent = "\ud800 給您發\udfff韻達"
    n = normalize(sent)
    assert n.text == "给您发韵达"
    start = n.text.index("韵达")
    assert n.excerpt(start, start + 2) == "韻達"


def test_the_guard_flags_through_a_lone_surrogate(engine):
    from app.shop import ShopProfile

    flags = engine.check("\ud800 给您发韵达", ShopProfile(carriers=["申通"])).flags
    assert [f.rule for f in flags if f.severity == "block"] == ["carrier_commitment"]
