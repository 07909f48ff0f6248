"""Clause punctuation, defined once (app/text/punctuation.py): the matcher's clauses, the guard's
clause bounds and the rule fragment ``{any}`` all stop at the same marks."""

from __future__ import annotations

import re

import pytest

from app.guard.rules import builtin_fragments
from app.matching.features import clauses
from app.text.normalize import normalize
from app.text.punctuation import CLAUSE_CHARS, NOT_CLAUSE_CHAR, SENTENCE_CHARS


@pytest.mark.parametrize("mark", ["，", "。", "！", "？", "；", "：", "、", "～", "…", ",", ";"])
def test_every_mark_a_buyer_types_ends_a_clause(mark):
    text = normalize(f"颜色不对{mark}还少了一件").text
    assert [c.text for c in clauses(text)] == ["颜色不对", "还少了一件"]
    assert re.fullmatch(NOT_CLAUSE_CHAR + "+", text) is None  # {any} does not reach across it


def test_the_rule_fragment_any_is_one_character_inside_a_clause():
    assert builtin_fragments()["any"] == NOT_CLAUSE_CHAR
    assert all(re.fullmatch(NOT_CLAUSE_CHAR, ch) is None for ch in CLAUSE_CHARS)
    assert re.fullmatch(NOT_CLAUSE_CHAR, "色")


def test_a_sentence_end_is_a_clause_end():
    assert set(SENTENCE_CHARS) <= set(CLAUSE_CHARS)
