"""What the form views offer and check while an editor types: the choices of a form, an intent's
examples against the other intents, and a rule (as edited, not saved) against a text (the regex tester)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.assistant import Assistant
from app.guard.guard import Flag, Guard
from app.guard.rules import parse_rule
from app.text.normalize import normalize

#: The pack served last, its normalised example → the intents that have it, and the matcher's
#: pick per normalised text (an editor's next check re-matches only the example being typed).
_CACHE: list = [None, {}, {}]
MAX_PICKS = 20_000


def _key(text: str) -> str:
    return normalize(text).text.strip()


def _for_pack(engine: Assistant) -> tuple[dict[str, list[str]], dict[str, tuple | None]]:
    pack = engine.pack
    last, owners, picks = _CACHE
    if last is not pack:
        owners, picks = {}, {}
        for intent in pack.intents.values():
            for example in intent.examples:
                ids = owners.setdefault(_key(example), [])
                if intent.id not in ids:  # 取消订单 and 取消訂單 are one example
                    ids.append(intent.id)
        _CACHE[:] = [pack, owners, picks]  # one assignment: a request reading it sees the old or the new
    return owners, picks


def check_examples(engine: Assistant, intent: str, examples: list[str]) -> list[dict]:
    """For each example: an earlier duplicate in the list, the other intents that have the same
    example, and the other intent the matcher picks for it (as it serves now), if not ``intent``."""
    owners, picks = _for_pack(engine)
    if len(picks) > MAX_PICKS:
        picks.clear()
    seen: dict[str, int] = {}
    out = []
    for i, text in enumerate(examples):
        key = _key(text)
        item: dict = {"index": i, "text": text, "duplicate_of": None, "also_in": [], "matched": None}
        if not key:
            out.append(item)
            continue
        if key in seen:
            item["duplicate_of"] = seen[key]
        else:
            seen[key] = i
        item["also_in"] = [{"id": o, "label": engine.pack.intents[o].label} for o in owners.get(key, []) if o != intent]
        if key not in picks:
            match = engine.matcher.match(text)
            top = match.intents[0] if match.intents else None
            picks[key] = (top.id, top.label, top.score) if top is not None else None
        top = picks[key]
        if top is not None and top[0] != intent:
            item["matched"] = {"id": top[0], "label": top[1], "score": top[2]}
        out.append(item)
    return out


def form_choices(kind: str, engine: Assistant) -> dict:
    """What a form offers to pick from: a template's intents and variables, an intent's categories."""
    pack = engine.pack
    if kind == "template":
        return {
            "intents": [{"id": i.id, "label": i.label} for i in sorted(pack.intents.values(), key=lambda i: i.id)],
            "variables": [{"name": v.name, "label": v.label, "sample": v.sample} for v in pack.variables.values()],
        }
    if kind == "intent":
        return {"categories": sorted({i.category for i in pack.intents.values()})}
    return {}


@dataclass
class RuleTest:
    flags: list[Flag] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {"line", "message"}


def try_rule(source: str, text: str, engine: Assistant) -> RuleTest:
    """What the rule in ``source`` flags in ``text`` on its own (even when it is switched off),
    with the word lists (``{courier}``) of the content ``engine`` serves."""
    rule, problems = parse_rule(source, "rule")
    if rule is None:
        return RuleTest(problems=[p.as_dict() for p in problems])
    if rule.scope == "conversation":
        return RuleTest(problems=[{"line": 1, "message": "这条规则对照整段对话检查，不能用一段文字测试；请看它的例句"}])
    guard = Guard([rule.model_copy(update={"enabled": True})], engine.guard.lexicon)
    return RuleTest(flags=guard.check(text))


