"""Every rule file's own examples, run as tests (like LanguageTool's <example>)."""

from __future__ import annotations

import pytest

from app import PROJECT_ROOT
from app.guard.guard import Guard
from app.guard.rule_examples import ExampleCase, cases, failure
from app.guard.rules import load_rules

_RULES = load_rules(PROJECT_ROOT / "rules")
_CASES = cases(_RULES)


@pytest.fixture(scope="module")
def all_rules_guard() -> Guard:
    return Guard(_RULES)


@pytest.mark.parametrize("case", _CASES, ids=[c.id for c in _CASES])
def test_rule_example(all_rules_guard: Guard, case) -> None:
    problem = failure(all_rules_guard, case)
    assert problem is None, problem


def test_every_rule_carries_enough_examples() -> None:
    for rule in _RULES:
        assert len(rule.examples.flag) >= 6, f"{rule.id}: 至少要有6条应标记的例句"
        assert len(rule.examples.pass_) >= 6, f"{rule.id}: 至少要有6条不应标记的例句"
        if rule.alert is not None:
            assert len(rule.alert.examples.flag) >= 6, f"{rule.id}: alert 至少要有6条应提醒的例句"
            assert len(rule.alert.examples.pass_) >= 6, (
                f"{rule.id}: alert 至少要有6条不应提醒的例句"
            )


def test_flag_examples_are_found_by_their_rule_alone() -> None:
    """A flag example must not depend on another rule being loaded."""
    for rule in _RULES:
        solo = Guard([rule])
        for ex in rule.examples.flag:
            if rule.scope == "conversation":  # checked against its conversation by the ledger
                assert failure(solo, ExampleCase(rule.id, "flag", ex)) is None, f"{rule.id}: {ex.text}"
                continue
            flags = solo.check(ex.text, ex.shop)
            assert any(f.rule == rule.id for f in flags), f"{rule.id}: {ex.text}"
