"""The promise ledger: what an agent promised in a conversation, and drafts that break it.

What counts as a promise is data (``lexicon/promises.yaml``, stored as the ``lexicon``
document ``promises``; the guard of a content snapshot carries its text, and
``ledger_of(guard)`` compiles it once per text): for each kind (courier,
ship or delivery day, resend, refund, compensation, gift, invoice) the patterns that
make one, the cues that cancel or soften it (the guard's own matcher, so negation,
hedges and every normalisation work as in the rules), and the wordings that take it
back.  A promise the shop can keep is still listed (给您备注发韵达 when the shop ships
韵达): it belongs in the order note (订单备注) so that the warehouse keeps it.  The
guard's flags of promise rules (``carrier_commitment``…) are promises too, and give a
promise its ``rule``.

- ``extract_promises(turns, guard, shop)``: the promises made in the agent's turns;
- ``order_note(promises)``: one line for the order note;
- ``broken_promises(draft, promises, guard)``: ``broken_promise`` flags for a draft that
  names another courier, a later day, a smaller amount, or refuses what was promised.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.content.files import node_at, read_file, read_yaml, validation_problems
from app.content.problems import Problem, regex_message
from app.guard.checks import hours_of, parse_number
from app.guard.guard import Flag, Guard
from app.guard.rules import MatchSpec, compile_pattern, normalize_phrase
from app.guard.scanner import Hit, Scanner
from app.guard.text_views import Views, make_views
from app.shop import ShopProfile
from app.text.lexicon import LEXICON_DIR, CourierLexicon, Lexicon, bundled

PROMISES_FILE = LEXICON_DIR / "promises.yaml"
log = logging.getLogger("shouhou")
RULE_ID = "broken_promise"
KINDS = (
    "carrier",
    "ship_time",
    "delivery",
    "resend",
    "refund",
    "compensation",
    "gift",
    "invoice",
    "other",
)
Kind = Literal[
    "carrier", "ship_time", "delivery", "resend", "refund", "compensation", "gift", "invoice"
]
#: The order note is pasted into 订单备注: short.
NOTE_LIMIT = 200
NOTE_PREFIX = "旺旺承诺："


# --------------------------------------------------------------------------- the lexicon


class KindExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    excerpt: str | None = None
    value: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, v: Any) -> Any:
        return {"text": v} if isinstance(v, str) else v


class KindExamples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    find: list[KindExample] = Field(default_factory=list)
    skip: list[KindExample] = Field(default_factory=list)


class PromiseKind(BaseModel):
    """One kind of promise (``kinds`` in ``lexicon/promises.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    title: str
    rules: list[str] = Field(default_factory=list)
    note: str
    note_plain: str | None = None
    keep: str
    keep_plain: str | None = None
    compare: Literal["differs", "later", "less", "none"] = "none"
    promise: MatchSpec
    refuse: MatchSpec | None = None
    examples: KindExamples = Field(default_factory=KindExamples)

    def say(self, template: str, plain: str | None, value: str | None) -> str:
        if value is None or "{value}" not in template:
            return plain or template.replace("{value}", "")
        return template.replace("{value}", value)


class PromiseLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    define: dict[str, str] = Field(default_factory=dict)
    kinds: list[PromiseKind]
    hours: dict[str, float] = Field(default_factory=dict)
    other_rules: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shared_define(cls, data: Any) -> Any:
        """The file's ``define`` is available to every kind's patterns."""
        if not isinstance(data, dict):
            return data
        shared = data.get("define") or {}
        kinds = []
        for k in data.get("kinds") or []:
            if isinstance(k, dict):
                k = dict(k)
                for part in ("promise", "refuse"):
                    if isinstance(k.get(part), dict):
                        k[part] = {**k[part], "define": {**shared, **(k[part].get("define") or {})}}
            kinds.append(k)
        return {**data, "kinds": kinds}


class _Ledger:
    """The lexicon compiled: one matcher for the promises, one for the refusals."""

    def __init__(self, lexicon: PromiseLexicon, couriers: CourierLexicon | None = None):
        self.lexicon = lexicon
        self.couriers = couriers or bundled().couriers
        self.kinds = {k.kind: k for k in lexicon.kinds}
        self.promise = Scanner([k.promise for k in lexicon.kinds], self.couriers)
        self._refusing = [k for k in lexicon.kinds if k.refuse is not None]
        self.refuse = Scanner([k.refuse for k in self._refusing], self.couriers)
        self.by_rule: dict[str, str] = {r: "other" for r in lexicon.other_rules}
        for k in lexicon.kinds:
            self.by_rule.update({r: k.kind for r in k.rules})
        self._when = compile_pattern("(?P<value>{when})", lexicon.define, self.couriers)
        self._money = compile_pattern("(?P<value>{money})", lexicon.define, self.couriers)

    def promise_kind(self, hit: Hit) -> PromiseKind:
        return self.lexicon.kinds[hit.spec]

    def refuse_kind(self, hit: Hit) -> PromiseKind:
        return self._refusing[hit.spec]

    def value(self, kind: str, raw: str | None) -> str | None:
        """A promise's content in a form to compare: 韵达, 今天, 5元, 一双袜子."""
        if not raw:
            return None
        if kind == "carrier":
            found = self.couriers.find(raw.lower())
            return found[-1].courier if found else self.couriers.canonical(raw) or raw
        if kind in ("refund", "compensation"):
            m = re.fullmatch(r"(.+?)(?:元|块钱|块)", raw)
            n = parse_number(m.group(1)) if m else None
            if n is not None:
                return f"{n:g}元"
        return raw

    def value_in(self, kind: str, text: str) -> str | None:
        """The content of a promise that only the guard found, from its normalised excerpt."""
        if kind == "carrier":
            found = self.couriers.find(text)
            return found[-1].courier if found else None
        pattern = {
            "ship_time": self._when,
            "delivery": self._when,
            "refund": self._money,
            "compensation": self._money,
        }.get(kind)
        m = pattern.search(text) if pattern is not None else None
        return self.value(kind, m.group("value")) if m else None

    def hours(self, value: str | None) -> float | None:
        return hours_of(value, self.lexicon.hours) if value else None


def parse_lexicon(text: str) -> PromiseLexicon:
    """The promise lexicon from its YAML text; raises ValueError (pydantic's) on problems."""
    return PromiseLexicon.model_validate(yaml.safe_load(text) or {})


@lru_cache(maxsize=4)  # by the lexicon's documents: a rebuild that kept them keeps the ledger
def _ledger_for(lexicon: Lexicon) -> _Ledger:
    try:
        return _Ledger(parse_lexicon(lexicon.promises_text), lexicon.couriers)
    except (yaml.YAMLError, ValueError, re.error):
        # Saving refuses a broken promise lexicon; one that got in anyway (a file import)
        # must not take the guard down: the bundled one stands in, and lint names the problem.
        log.warning("the stored promise lexicon does not parse; the bundled one is used", exc_info=True)
        return _Ledger(parse_lexicon(bundled().promises_text), lexicon.couriers)


def ledger_of(guard: Guard) -> _Ledger:
    """The promise ledger of ``guard``'s content version (its lexicon's promise document)."""
    return _ledger_for(guard.lexicon)


def ledger() -> _Ledger:
    """The bundled promise ledger (``lexicon/promises.yaml``), for code without a content snapshot."""
    return _ledger_for(bundled())


def lexicon_problems(guard: Guard, path: Path | str = PROMISES_FILE, text: str | None = None) -> list[Problem]:
    """What is wrong with the promise lexicon (for ``shouhou lint`` and saving the document):
    its format, its patterns, and each of its examples that is not found (``find``) or is
    (``skip``), each a ``Problem`` at its line.  ``text``: the lexicon's text (else read from ``path``)."""
    where = str(path)
    if text is None:
        text, unreadable = read_file(Path(path))
        if unreadable is not None:
            return [unreadable]
    doc = read_yaml(text, where)
    if doc.root is None and doc.problems:
        return doc.problems
    try:
        lexicon = PromiseLexicon.model_validate(doc.data or {})
    except ValidationError as e:
        return doc.problems + validation_problems(e, doc.root, where, PromiseLexicon)
    try:
        compiled = _Ledger(lexicon, guard.lexicon.couriers)
    except (re.error, ValueError, OverflowError, RecursionError) as e:
        message, hint = regex_message(e) if not isinstance(e, ValueError) or isinstance(e, re.error) else (str(e), None)
        return doc.problems + [Problem(where, 1, f"承诺词表里有一条模式不是有效的正则表达式：{message}", hint)]
    problems = list(doc.problems)
    for k, kind in enumerate(lexicon.kinds):
        for part in ("find", "skip"):
            for j, ex in enumerate(getattr(kind.examples, part)):
                node = node_at(doc.root, ("kinds", k, "examples", part, j))
                line = node.start_mark.line + 1 if node is not None else 1
                views = make_views(ex.text)
                hits = [
                    h
                    for h in compiled.promise.raw_hits(views)
                    if compiled.promise_kind(h) is kind and _live(compiled.promise, h, views, False)
                ]
                if part == "skip":
                    if hits:
                        problems.append(Problem(where, line, f"{kind.kind} 不应找到承诺：{ex.text}",
                                                "请改这一类的 promise 或 cancel，或把这条例句移到 find"))
                    continue
                spans = {ex.text[h.start : h.end] for h in hits}
                values = {compiled.value(kind.kind, dict(h.groups).get("value")) for h in hits}
                if not hits or (ex.excerpt is not None and ex.excerpt not in spans) or ex.value not in values:
                    problems.append(Problem(where, line, f"{kind.kind} 应找到承诺「{ex.excerpt or ex.value or ''}」：{ex.text}"))
    return problems


# --------------------------------------------------------------------------- promises


@dataclass(frozen=True)
class Promise:
    """A commitment made in an agent turn; ``text == turn_text[start:end]``."""

    turn: int
    kind: str
    text: str
    start: int
    end: int
    rule: str | None = None
    value: str | None = None
    #: The kind as the ledger that found the promise defines it (its note wording).
    spec: PromiseKind | None = field(default=None, repr=False, compare=False)

    @property
    def note(self) -> str:
        """How the order note says it: 发韵达, 今天发货, 补发一双."""
        kind = self.spec or ledger().kinds.get(self.kind)
        if kind is None:
            return self.text.strip()[:30]
        return kind.say(kind.note, kind.note_plain, self.value)

    def as_dict(self) -> dict:
        return {
            "turn": self.turn,
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "value": self.value,
            "note": self.note,
        }


def _role_text(turn: Any) -> tuple[str, str]:
    if isinstance(turn, dict):
        return str(turn.get("role", "")), str(turn.get("text", ""))
    if isinstance(turn, (tuple, list)):
        return str(turn[0]), str(turn[1])
    return str(turn.role), str(turn.text)


def _live(matcher: Scanner, hit: Hit, views: Views, hedge_ok: bool) -> bool:
    """Not cancelled by a negation or question cue; not softened, unless ``hedge_ok``."""
    if matcher.cancelled(hit, views):
        return False
    return hedge_ok or not matcher.hedged(hit, views)


def promises_in(
    text: str, turn: int, guard: Guard, shop: ShopProfile | None = None
) -> list[Promise]:
    """The promises in one agent turn."""
    if not text or not text.strip():
        return []
    led = ledger_of(guard)
    views = make_views(text)
    found: list[Promise] = []
    for hit in sorted(led.promise.raw_hits(views), key=lambda h: (h.start, -h.end)):
        if not _live(led.promise, hit, views, hedge_ok=False):
            continue
        kind = led.promise_kind(hit)
        value = led.value(kind.kind, dict(hit.groups).get("value"))
        same = next(
            (p for p in found if p.kind == kind.kind and p.start < hit.end and hit.start < p.end),
            None,
        )
        if same is not None:  # one promise, found by two patterns or in two views: the wider span
            if hit.end - hit.start <= same.end - same.start:
                continue
            found.remove(same)
            value = value or same.value
        found.append(
            Promise(turn, kind.kind, text[hit.start : hit.end], hit.start, hit.end, None, value, kind)
        )
    for flag in guard.check_cached(text, shop):
        kind_id = led.by_rule.get(flag.rule)
        if kind_id is None:
            continue
        same = next(
            (p for p in found if p.kind == kind_id and p.start < flag.end and flag.start < p.end),
            None,
        )
        if same is not None:
            if same.rule is None:
                start, end = min(same.start, flag.start), max(same.end, flag.end)
                found[found.index(same)] = Promise(
                    turn, kind_id, text[start:end], start, end, flag.rule, same.value, same.spec
                )
            continue
        value = led.value_in(kind_id, normalize_phrase(flag.excerpt))
        found.append(Promise(turn, kind_id, flag.excerpt, flag.start, flag.end, flag.rule, value, led.kinds.get(kind_id)))
    found.sort(key=lambda p: (p.start, p.end, KINDS.index(p.kind)))
    return found


def extract_promises(
    turns: Sequence[Any], guard: Guard, shop: ShopProfile | None = None
) -> list[Promise]:
    """Every promise made in the agent turns of a conversation (oldest first).

    ``turns``: ``(role, text)`` pairs, or objects (or dicts) with ``role`` and ``text``;
    buyer turns are skipped.  Negated, questioned or hedged statements (不能保证今天发,
    明天给您发货可以吗, 预计明天到) are no promises.
    """
    out: list[Promise] = []
    for i, turn in enumerate(turns):
        role, text = _role_text(turn)
        if role == "agent":
            # A chat is sent again with every new buyer turn: each agent turn is read once per guard.
            found = guard.remembered("promises", text, shop, lambda text=text: tuple(promises_in(text, 0, guard, shop)))
            out += [replace(p, turn=i) for p in found]
    return out


def order_note(promises: Sequence[Promise]) -> str:
    """One line for the order note: 旺旺承诺：发韵达；今天发货；补发一双 (at most 200 characters)."""
    notes: list[str] = []
    for p in promises:
        note = p.note
        if note and note not in notes:
            notes.append(note)
    if not notes:
        return ""
    text = NOTE_PREFIX + "；".join(notes)
    while len(text) > NOTE_LIMIT and len(notes) > 1:
        notes.pop()
        text = NOTE_PREFIX + "；".join(notes) + "等"
    return text[:NOTE_LIMIT]


# --------------------------------------------------------------------------- broken promises


def _contradicts(led: _Ledger, kind: PromiseKind, promised: Promise, said: str | None, refusal: bool) -> bool:
    if refusal:
        if said is None or promised.value is None:
            return True
        if kind.kind in ("ship_time", "delivery"):
            a, b = led.hours(said), led.hours(promised.value)
            return said == promised.value or (a is not None and a == b)
        return said == promised.value
    if said is None or promised.value is None:
        return False
    if kind.compare == "differs":
        return said != promised.value
    if kind.compare == "later":
        a, b = led.hours(said), led.hours(promised.value)
        return a is not None and b is not None and a > b
    if kind.compare == "less":
        a, b = (parse_number(v.removesuffix("元")) for v in (said, promised.value))
        return a is not None and b is not None and a < b
    return False


def _format(template: str, **values: Any) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def broken_promises(
    draft: str, promises: Sequence[Promise], guard: Guard, shop: ShopProfile | None = None
) -> list[Flag]:
    """``broken_promise`` flags for a draft that contradicts an earlier promise.

    A draft breaks a promise when it names another courier (promised 韵达, now 发申通),
    a later day (今天 → 明天), a smaller amount (5元 → 3元), even hedged (预计后天发), or
    takes back what was promised (不能补发, 退不了, 没有赠品, 开不了发票).  Each flag
    names the promise's turn (``turn``, from 0) and suggests keeping it.  None when the
    rule is missing or disabled.  ``shop`` is unused today (kept for shop-aware checks).
    """
    rule = guard.rule(RULE_ID)
    if rule is None or not promises or not draft or not draft.strip():
        return []
    led = ledger_of(guard)
    latest: dict[str, Promise] = {}
    for p in promises:
        latest[p.kind] = p  # a later promise of a kind replaces an earlier one
    views = make_views(draft)
    said: list[tuple[Hit, PromiseKind, bool]] = [
        (h, led.promise_kind(h), False)
        for h in led.promise.raw_hits(views)
        if _live(led.promise, h, views, hedge_ok=True)
    ]
    said += [
        (h, led.refuse_kind(h), True)
        for h in led.refuse.raw_hits(views)
        if not led.refuse.cancelled(h, views)
    ]
    flags: list[Flag] = []
    for hit, kind, refusal in sorted(said, key=lambda s: (s[0].start, -s[0].end)):
        promised = latest.get(kind.kind)
        if promised is None:
            continue
        value = led.value(kind.kind, dict(hit.groups).get("value"))
        if not _contradicts(led, kind, promised, value, refusal):
            continue
        if any(f.start < hit.end and hit.start < f.end for f in flags):
            continue
        excerpt = draft[hit.start : hit.end]
        flags.append(
            Flag(
                rule=rule.id,
                severity=rule.severity,
                start=hit.start,
                end=hit.end,
                excerpt=excerpt,
                message=_format(
                    rule.message, turn=promised.turn + 1, promised=promised.note, said=excerpt
                ),
                suggestion=kind.say(kind.keep, kind.keep_plain, promised.value) or rule.suggestion,
                turn=promised.turn,
            )
        )
    return sorted(flags, key=lambda f: (f.start, f.end))
