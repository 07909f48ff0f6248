"""Validating a content document (an intent, a template or a rule) before it is saved.

The same checks run for ``shouhou lint``, the JSON API and the editor pages:
a document that fails them is refused with the reasons, and nothing already
saved is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.content.files import parse_intent, parse_template
from app.content.kinds import Kind
from app.content.models import IntentSpec, OutOfScope, ReplyTemplate, shortcode_key
from app.content.problems import Problem
from app.editing.lint import review_template
from app.engine.assistant import Assistant
from app.guard.guard import Flag, Guard
from app.guard.rule_examples import failures
from app.guard.rules import Rule, parse_rule
from app.rendering.renderer import Rendered


@dataclass
class Validated:
    kind: Kind
    key: str | None = None
    obj: IntentSpec | OutOfScope | ReplyTemplate | Rule | None = None
    #: ``Problem.as_dict()``: ``{"line", "message"}`` in Chinese (the message ends with its hint), ``hint``, ``column``.
    problems: list[dict] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    preview: Rendered | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def blocking(self) -> list[Flag]:
        return [f for f in self.flags if f.severity == "block"]

    @property
    def warnings(self) -> list[Flag]:
        return [f for f in self.flags if f.severity == "warn"]


def _problem_dicts(problems: list[Problem]) -> list[dict]:
    """Problems as the API lists them: ``{"line", "message"}`` (with its hint), ``hint`` and ``column`` when known."""
    return [p.as_dict() for p in problems]


def _shortcode_owner(tpl: ReplyTemplate, engine: Assistant) -> str | None:
    """The id of another template the engine serves with ``tpl``'s short code, if any."""
    if tpl.shortcode is None:
        return None
    key = shortcode_key(tpl.shortcode)
    for other in engine.pack.templates.values():
        if other.id != tpl.id and other.shortcode is not None and shortcode_key(other.shortcode) == key:
            return other.id
    return None


def _key_line(source: str, key: str) -> int:
    """The line of ``key:`` in a template's front matter (1-based), else 2."""
    for number, line in enumerate(source.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        if line.startswith(f"{key}:"):
            return number
    return 2


def validate(kind: Kind, source: str, engine: Assistant, context: dict | None = None, key: str | None = None) -> Validated:
    """``key``: the document's key where the text does not name it (the lexicon and variables documents)."""
    out = Validated(kind)
    if kind in ("lexicon", "variables"):
        from app.editing.lexicon_check import lexicon_document_problems, variables_problems

        out.key = key if kind == "lexicon" else key or "variables"
        out.problems = (
            lexicon_document_problems(key, source, engine) if kind == "lexicon" else variables_problems(key, source, engine)
        )
        return out
    if kind == "template":
        tpl, problems = parse_template(source, "template")
        out.problems = _problem_dicts(problems)
        if tpl is None:
            return out
        out.obj, out.key = tpl, tpl.id
        if not tpl.id.startswith(tpl.intent + "/"):
            out.problems.append(Problem("template", 2, f"模板 id 应以其意图开头：{tpl.intent}/…",
                                        f"例如 {tpl.intent}/standard").as_dict())
        if (taken := _shortcode_owner(tpl, engine)) is not None:
            out.problems.append(Problem("template", _key_line(source, "shortcode"),
                                        f"「shortcode」：简码「{tpl.shortcode}」已被模板 {taken} 使用", "请换一个简码").as_dict())
        review = review_template(tpl, engine.pack, engine.renderer, engine.guard, context)
        out.problems += _problem_dicts(review.problems)
        out.flags, out.preview = review.flags, review.rendered
    elif kind == "intent":
        intent, problems = parse_intent(source, "intent")
        out.problems = _problem_dicts(problems)
        if intent is not None:
            out.obj, out.key = intent, intent.id
    else:
        rule, problems = parse_rule(source, "rule")
        out.problems = _problem_dicts(problems)
        if rule is not None:
            out.obj, out.key = rule, rule.id
            # The rule's own examples must hold, run together with every other rule.
            guard = Guard([r for r in engine.rules if r.id != rule.id] + [rule], engine.guard.lexicon)
            out.problems += [{"line": 1, "message": f"例句未通过：{f}"} for f in failures(guard, [rule])]
    return out
