"""The guard's pattern facts on disk: a second process builds its guard without compiling a pattern.

A guard's patterns are parsed and compiled once; what that teaches (each pattern is valid,
its first-character gate, the literals the prefilter needs) is kept in the cache
directory, so the next process compiles only the patterns a text actually reaches.
"""

from __future__ import annotations

import json

import pytest

from app import PROJECT_ROOT
from app.guard import pattern_facts, prefilter, rules
from app.guard.guard import Guard
from app.guard.pattern_facts import FILE, PatternFacts
from app.guard.rules import load_rules, parse_rule

DRAFTS = [
    "亲，保证明天给您送到，放心哈",
    "好的呢，给您备注发韵达了",
    "亲，好评返现5元哦",
    "亲，非常抱歉给您带来不便，我们核实后马上为您处理。",
]
SHOP = None


def fresh_process(monkeypatch, directory) -> PatternFacts:
    """What a new process sees: no compiled pattern in memory, the facts file in ``directory``."""
    facts = PatternFacts(directory)
    monkeypatch.setattr(pattern_facts, "FACTS", facts)
    rules._compile.cache_clear()
    prefilter._required.cache_clear()
    return facts


def build(monkeypatch, directory) -> tuple[Guard, PatternFacts]:
    facts = fresh_process(monkeypatch, directory)
    return Guard(load_rules(PROJECT_ROOT / "rules")), facts


def compiled(guard: Guard) -> int:
    return sum(p.is_compiled for _, p in guard._scanner._patterns)


def test_the_second_process_compiles_only_what_a_text_reaches(monkeypatch, tmp_path) -> None:
    first, _ = build(monkeypatch, tmp_path)
    assert (tmp_path / FILE).exists()
    assert compiled(first) == len(first._scanner._patterns) > 150  # the first process compiled them all
    expected = [first.check(d, SHOP) for d in DRAFTS]

    second, _ = build(monkeypatch, tmp_path)
    assert compiled(second) == 0
    assert [second.check(d, SHOP) for d in DRAFTS] == expected  # the same flags, spans and all
    assert 0 < compiled(second) < len(second._scanner._patterns) // 5


@pytest.mark.parametrize("damage", ["not json", json.dumps({"key": "other", "patterns": {}}),
                                    json.dumps({"key": None, "patterns": {"(a": ["(a"]}}), "[]"])
def test_a_damaged_or_foreign_file_is_ignored(monkeypatch, tmp_path, damage) -> None:
    reference, _ = build(monkeypatch, tmp_path / "ok")
    expected = [reference.check(d, SHOP) for d in DRAFTS]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / FILE).write_text(damage, encoding="utf-8")
    guard, _ = build(monkeypatch, tmp_path / "bad")
    assert [guard.check(d, SHOP) for d in DRAFTS] == expected
    assert json.loads((tmp_path / "bad" / FILE).read_text(encoding="utf-8"))["patterns"]  # rewritten


def test_a_broken_pattern_is_never_remembered_and_still_reported(monkeypatch, tmp_path) -> None:
    facts = fresh_process(monkeypatch, tmp_path)
    text = "id: broken\ntitle: 测试\nseverity: warn\nmessage: 测试\npatterns:\n  - '(保证明天'\n"
    for _ in range(2):  # the second time too: nothing was learnt from the first
        rule, problems = parse_rule(text, "rules/broken.yaml")
        assert rule is None and problems and problems[0].line == 6
        facts.save()
    assert not (tmp_path / FILE).exists() or "(保证明天" not in (tmp_path / FILE).read_text(encoding="utf-8")
