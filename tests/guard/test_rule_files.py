"""The rule files as data: the contract's ids are all there, and bad files get clear problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import PROJECT_ROOT
from app.guard.guard import Guard
from app.guard.rules import RuleFileError, load_rules, parse_rule, read_rules

SPEC = PROJECT_ROOT.parent / "shared" / "spec" / "risk-rules.md"

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


# Rules the contract lists for features not built yet; strict, so building one fails here until it is removed.
NOT_YET: dict[str, str] = {}


@pytest.mark.parametrize(
    "rule_id",
    [
        pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[r])) if r in NOT_YET else r
        for r in sorted(
            set(re.findall(r"^\| ([a-z_]+) \|", SPEC.read_text(encoding="utf-8"), re.M)) - {"id"}
            if SPEC.exists()
            else []
        )
    ],
)
def test_every_contract_rule_has_a_file(rules, rule_id) -> None:
    assert rule_id in {r.id for r in rules}


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
        (GOOD.replace("phrases: [测试词]", "phrases: [测试词"), 5, "方括号「[」没有配对的「]」"),
        # a bad regex: the line of that pattern
        (GOOD + "patterns:\n  - '保证(明天'\n", 10, "「patterns 第 1 条」不是有效的正则表达式：括号不配对：第 3 个字符「(」"),
        # an unknown fragment in a pattern
        (GOOD + "patterns:\n  - '{nosuch}到'\n", 10, "nosuch"),
        # a typo in a key
        (GOOD.replace("message:", "mesage:"), 4, "不认识的字段「mesage」（是不是「message」？）"),
        # a wrong severity
        (GOOD.replace("severity: warn", "severity: danger"), 2, "「severity」只能是 block、warn 或 info"),
        # an unknown named check
        (GOOD + "check: no_such_check\n", 9, "no_such_check"),
        # a missing field
        (GOOD.replace("title: 测试规则\n", ""), 1, "缺少「title」"),
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
    assert any(str(p).startswith(f"rules/test_rule.yaml:{line}:") and words in str(p) for p in problems), (
        problems
    )


CHECKED = """\
id: test_rule
severity: warn
title: 测试规则
message: 测试用
patterns: ['给您发(?P<courier>{courier})']
check: carrier
params:
  unknown: warn
  messages:
    unknown: 先确认能否发{courier}
examples:
  flag: [给您发韵达]
"""


def test_a_rule_with_typed_check_parameters_parses() -> None:
    rule, problems = parse_rule(CHECKED, "rules/test_rule.yaml")
    assert problems == []
    assert rule is not None and rule.params is not None
    assert rule.params.unknown == "warn"  # type: ignore[attr-defined]
    flags = Guard([rule]).check("给您发韵达")
    assert [(f.severity, f.message) for f in flags] == [("warn", "先确认能否发韵达")]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # a mistyped parameter name: the line of that key, and the parameters the check takes
        (CHECKED.replace("  unknown: warn", "  severty: warn"), 8, "「params」里不认识的字段「severty」"),
        (CHECKED.replace("  unknown: warn", "  severty: warn"), 8, "not_in_shop"),
        # a value of the wrong kind
        (CHECKED.replace("  unknown: warn", "  unknown: danger"), 8, "「params.unknown」只能是 block、warn、info 或 drop"),
        (CHECKED.replace("  unknown: warn", "  unknown: [warn]"), 8, "params.unknown"),
        (CHECKED.replace("  messages:\n    unknown: 先确认能否发{courier}\n", "  messages: 先确认\n"), 9, "「params.messages」应为映射"),
        # a placeholder the check does not fill
        (CHECKED.replace("{courier}", "{couirer}"), 10, "{couirer}"),
        # parameters of another check
        (CHECKED.replace("  unknown: warn", "  late: block"), 8, "「params」里不认识的字段「late」"),
        (CHECKED.replace("check: carrier", "check: ship_time"), 8, "「params」里不认识的字段「unknown」"),
        # parameters without a check
        (CHECKED.replace("check: carrier\n", ""), 6, "没有 check"),
        # a time word whose hours are not a number
        (
            CHECKED.replace("check: carrier", "check: ship_time").replace(
                "  unknown: warn\n  messages:\n    unknown: 先确认能否发{courier}\n", "  words: {明天: 很快}\n"
            ),
            8,
            "「params.words.明天」应为数字",
        ),
        # a paid-amount regex that does not compile
        (
            CHECKED.replace("check: carrier", "check: invoice").replace(
                "  unknown: warn\n  messages:\n    unknown: 先确认能否发{courier}\n", "  paid: '实付(\\d+'\n"
            ),
            8,
            "「params.paid」：不是有效的正则表达式：括号不配对",
        ),
    ],
)
def test_a_mistyped_check_parameter_is_reported_with_its_line(
    text: str, line: int, words: str
) -> None:
    rule, problems = parse_rule(text, "rules/test_rule.yaml")
    assert rule is None
    assert any(str(p).startswith(f"rules/test_rule.yaml:{line}:") and words in str(p) for p in problems), (
        problems
    )


def test_every_bundled_rule_has_typed_parameters(rules) -> None:
    from app.guard.checks import CHECK_PARAMS

    for rule in rules:
        for spec in (rule, rule.alert):
            if spec is not None and spec.check is not None:
                assert isinstance(spec.params, CHECK_PARAMS[spec.check]), rule.id


def test_not_a_mapping() -> None:
    rule, problems = parse_rule("- just\n- a list\n", "x.yaml")
    assert rule is None and str(problems[0]).startswith("x.yaml:1: 规则文件应是「名称: 内容」的形式")


def test_load_rules_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "test_rule.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(
        GOOD.replace("id: test_rule", "id: wrong_name"), encoding="utf-8"
    )
    (tmp_path / "broken.yaml").write_text("id: [", encoding="utf-8")
    rules, problems = read_rules(tmp_path)
    assert [r.id for r in rules] == ["wrong_name", "test_rule"]
    assert any("other.yaml:1:" in str(p) and "文件名应与 id 一致" in p.message for p in problems)
    assert any(p.path.endswith("broken.yaml") and p.line == 1 and "方括号" in p.message for p in problems)
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


CONVERSATION_RULE = """\
id: test_rule
severity: block
title: 测试规则
message: 第{turn}句已承诺{promised}
scope: conversation
examples:
  flag:
    - text: 给您发申通
      conversation: [给您备注发韵达]
"""


def test_a_conversation_rule_needs_no_patterns_and_is_not_matched_on_a_text_alone(guard) -> None:
    rule, problems = parse_rule(CONVERSATION_RULE, "rules/test_rule.yaml")
    assert problems == [] and rule is not None
    assert rule.examples.flag[0].conversation[0].role == "agent"  # a plain string is an agent turn
    solo = Guard([rule])
    assert solo.rule("test_rule") is rule and solo.rules == []
    assert solo.check("给您发申通") == []
    # the bundled broken_promise: its flag examples flag nothing without their conversation
    bundled = guard.rule("broken_promise")
    assert bundled is not None and bundled.scope == "conversation"
    for ex in bundled.examples.flag:
        assert "broken_promise" not in {f.rule for f in guard.check(ex.text, ex.shop)}


def test_a_text_rule_without_patterns_is_still_refused() -> None:
    text = CONVERSATION_RULE.replace("scope: conversation\n", "")
    rule, problems = parse_rule(text, "rules/test_rule.yaml")
    assert rule is None and any("phrases" in p.message for p in problems)
