"""The rule files as data: the contract's ids are all there, and bad files get clear problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.guard.engine import Guard
from app.guard.rules import RuleFileError, load_rules, parse_rule, read_rules

SPEC = Path("/work/shared/spec/risk-rules.md")

GOOD = """\
id: test_rule
severity: warn
title: 测试规则
message: 测试用
phrases: [测试词]
examples:
  flag: [这里有测试词]
  pass: [这里没有]
"""


def _contract_ids() -> set[str]:
    if not SPEC.exists():
        pytest.skip("risk-rules.md not available")
    return set(re.findall(r"^\| ([a-z_]+) \|", SPEC.read_text(encoding="utf-8"), re.M)) - {"id"}


def test_every_contract_rule_has_a_file(rules) -> None:
    ids = {r.id for r in rules}
    assert _contract_ids() <= ids


def test_severities_match_the_contract(rules) -> None:
    text = SPEC.read_text(encoding="utf-8") if SPEC.exists() else ""
    for rule in rules:
        row = re.search(rf"^\| {rule.id} \| ([^|]+)\|", text, re.M)
        if row:
            assert row.group(1).strip().split()[0] == rule.severity, rule.id


def test_a_good_rule_parses() -> None:
    rule, problems = parse_rule(GOOD, "rules/test_rule.yaml")
    assert problems == []
    assert rule is not None and rule.id == "test_rule"
    flags = Guard([rule]).check("这里有测试词哦")
    assert [f.excerpt for f in flags] == ["测试词"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # broken YAML: the line of the problem
        (GOOD.replace("phrases: [测试词]", "phrases: [测试词"), 6, "YAML"),
        # a bad regex: the line of that pattern
        (GOOD + "patterns:\n  - '保证(明天'\n", 10, "patterns[0]"),
        # an unknown fragment in a pattern
        (GOOD + "patterns:\n  - '{nosuch}到'\n", 10, "nosuch"),
        # a typo in a key
        (GOOD.replace("message:", "mesage:"), 4, "未知的字段"),
        # a wrong severity
        (GOOD.replace("severity: warn", "severity: danger"), 2, "severity"),
        # an unknown named check
        (GOOD + "check: no_such_check\n", 9, "no_such_check"),
        # a missing field
        (GOOD.replace("title: 测试规则\n", ""), 1, "title"),
        # an expected excerpt that is not in its example
        (
            GOOD.replace(
                "flag: [这里有测试词]", "flag:\n    - text: 这里有测试词\n      excerpt: 别的词"
            ),
            8,
            "excerpt",
        ),
        # nothing to look for
        (GOOD.replace("phrases: [测试词]\n", ""), 1, "phrases"),
    ],
)
def test_a_bad_rule_file_gets_a_clear_problem_with_its_line(
    text: str, line: int, words: str
) -> None:
    rule, problems = parse_rule(text, "rules/test_rule.yaml")
    assert rule is None
    assert problems, "a bad file must give at least one problem"
    assert any(p.startswith(f"rules/test_rule.yaml:{line}:") and words in p for p in problems), (
        problems
    )


def test_not_a_mapping() -> None:
    rule, problems = parse_rule("- just\n- a list\n", "x.yaml")
    assert rule is None and problems[0].startswith("x.yaml:1:")


def test_load_rules_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "test_rule.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(
        GOOD.replace("id: test_rule", "id: wrong_name"), encoding="utf-8"
    )
    (tmp_path / "broken.yaml").write_text("id: [", encoding="utf-8")
    rules, problems = read_rules(tmp_path)
    assert [r.id for r in rules] == ["wrong_name", "test_rule"]
    assert any("other.yaml:1:" in p and "文件名应与 id 一致" in p for p in problems)
    assert any("broken.yaml" in p and "YAML" in p for p in problems)
    with pytest.raises(RuleFileError) as err:
        load_rules(tmp_path)
    assert len(err.value.problems) == len(problems)


def test_duplicate_ids_are_refused() -> None:
    rule, _ = parse_rule(GOOD)
    with pytest.raises(ValueError):
        Guard([rule, rule])


def test_a_disabled_rule_does_not_flag() -> None:
    rule, _ = parse_rule(GOOD + "enabled: false\n")
    assert Guard([rule]).check("这里有测试词") == []


def test_editors_may_write_traditional_and_full_width_phrases() -> None:
    rule, _ = parse_rule(GOOD.replace("phrases: [测试词]", "phrases: [測試ＡＢ]"))
    flags = Guard([rule]).check("这里有测试ab")
    assert [f.excerpt for f in flags] == ["测试ab"]
