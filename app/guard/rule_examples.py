"""Running the examples that each rule file carries (LanguageTool's ``<example>``).

A flag example must produce a flag of its rule (with the expected excerpt and
severity when the example gives them); a pass example must not produce one.
Alert examples work the same way on ``Guard.alerts``.  Examples of a rule with
``scope: conversation`` (``broken_promise``) are checked against their
``conversation`` by the promise ledger (``app.guard.promises``).  The test suite runs
them all, and an editor can run one rule's examples before saving it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.guard.guard import Guard
from app.guard.rules import Example, Rule


@dataclass(frozen=True)
class ExampleCase:
    rule: str
    kind: str  # flag | pass | alert-flag | alert-pass
    example: Example

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.kind}:{self.example.text[:24]}"


def cases(rules: list[Rule]) -> list[ExampleCase]:
    out: list[ExampleCase] = []
    for r in rules:
        out += [ExampleCase(r.id, "flag", e) for e in r.examples.flag]
        out += [ExampleCase(r.id, "pass", e) for e in r.examples.pass_]
        if r.alert is not None:
            out += [ExampleCase(r.id, "alert-flag", e) for e in r.alert.examples.flag]
            out += [ExampleCase(r.id, "alert-pass", e) for e in r.alert.examples.pass_]
    return out


def failure(guard: Guard, case: ExampleCase) -> str | None:
    """Why ``case`` fails on ``guard``, or None when it holds."""
    ex = case.example
    if case.kind.startswith("alert"):
        got = [
            (sev, msg) for rule, sev, msg in guard.alerts(ex.text, ex.shop) if rule.id == case.rule
        ]
        if case.kind == "alert-flag":
            if not got:
                return f"应提醒 {case.rule}，但没有：{ex.text}"
            if ex.severity and all(sev != ex.severity for sev, _ in got):
                return f"提醒级别应为 {ex.severity}，实际 {got}：{ex.text}"
            return None
        return f"不应提醒 {case.rule}，实际 {got}：{ex.text}" if got else None

    rule = guard.rule(case.rule)
    if rule is not None and rule.scope == "conversation":
        from app.guard.promises import broken_promises, extract_promises

        turns = [(t.role, t.text) for t in ex.conversation or []]
        promises = extract_promises(turns, guard, ex.shop)
        found = broken_promises(ex.text, promises, guard, ex.shop)
        flags = [f for f in found if f.rule == case.rule]
    else:
        flags = [f for f in guard.check(ex.text, ex.shop) if f.rule == case.rule]
    if case.kind == "pass":
        return (
            f"不应标记 {case.rule}，实际标记了「{flags[0].excerpt}」：{ex.text}" if flags else None
        )
    if not flags:
        return f"应标记 {case.rule}，但没有：{ex.text}"
    if ex.excerpt is not None and all(f.excerpt != ex.excerpt for f in flags):
        return f"应标记「{ex.excerpt}」，实际 {[f.excerpt for f in flags]}：{ex.text}"
    if ex.severity is not None and all(f.severity != ex.severity for f in flags):
        return f"级别应为 {ex.severity}，实际 {[f.severity for f in flags]}：{ex.text}"
    return None


def failures(guard: Guard, rules: list[Rule] | None = None) -> list[str]:
    return [
        msg
        for c in cases(rules or [*guard.rules, *guard.conversation_rules])
        if (msg := failure(guard, c))
    ]
