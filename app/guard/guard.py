"""The compliance guard: checks a text an agent is about to send and returns flags.

``Guard`` is built once from rules (files or rules stored elsewhere) and is then
cheap to call: ``guard.check(text, shop) -> list[Flag]``.  Steps per text:

1. two views of the text (``app.guard.text_views``) are scanned for every rule at once;
2. a hit is dropped when an exception overlaps it or a negation/hedge governs it;
3. the rule's named shop check (if any) decides it against the shop's facts;
4. a hit inside a hit of a more specific rule is left to that rule;
5. overlapping hits of one rule are merged; spans point into the original text.

``check_cached`` remembers the flags of the last texts it checked (a bounded LRU, per
guard, so per rule version): a suggestion rendered from a template is the same text
for every buyer whose context fills it the same way (or not at all), and is checked
once rather than on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_serializer

from app.guard import pattern_facts
from app.guard.checks import CHECKS, HitContext, NoParams
from app.guard.rules import AlertSpec, Rule, load_rules
from app.guard.scanner import Hit, Scanner
from app.guard.severity import SEVERITY_RANK, Severity
from app.guard.text_views import Views, make_views
from app.shop import ShopProfile
from app.text.lexicon import Lexicon, bundled
from app.text.normalize import Normalized

#: How many ``(text, shop)`` results ``check_cached`` keeps (a few MB at most).
CHECK_CACHE_SIZE = 2048


class Flag(BaseModel):
    """One finding; ``model_dump()`` is exactly the flag object of ``POST /v1/check``."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str | None = None
    #: ``broken_promise``: the turn of the conversation that made the promise (from 0).
    turn: int | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler):  # ``turn`` only where there is one: other flags keep their shape
        data = handler(self)
        if data.get("turn") is None:
            data.pop("turn", None)
        return data


@dataclass(slots=True)
class _Found:
    rule: int
    start: int
    end: int
    severity: str
    message: str


class Guard:
    """Checks texts against a set of rules.  Thread-safe once built (read-only state)."""

    def __init__(self, rules: list[Rule], lexicon: Lexicon | None = None):
        #: The word lists of the same content version: ``{courier}`` in patterns, the carrier
        #: check, the promise ledger (``app.guard.promises.ledger_of``).
        self.lexicon = lexicon or bundled()
        enabled = [r for r in rules if r.enabled]
        #: Rules matched on a text; ``conversation_rules`` are checked by code against a
        #: conversation (``app.guard.promises``).
        self.rules = [r for r in enabled if r.scope == "text"]
        self.conversation_rules = [r for r in enabled if r.scope == "conversation"]
        ids = [r.id for r in enabled]
        if len(ids) != len(set(ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"重复的规则 id：{', '.join(dup)}")
        self._scanner = Scanner(self.rules, self.lexicon.couriers)
        self._alert_rules = [r for r in self.rules if r.alert is not None]
        self._alerts = Scanner([r.alert for r in self._alert_rules], self.lexicon.couriers)
        pattern_facts.FACTS.save()  # what the scanners learnt about new patterns, for the next process
        self._cache: OrderedDict[tuple[str, str, str], tuple] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def from_dir(cls, directory: Path) -> Guard:
        """Load every ``*.yaml`` rule in ``directory``; raises ``RuleFileError`` on problems."""
        return cls(load_rules(Path(directory)))

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in (*self.rules, *self.conversation_rules) if r.id == rule_id), None)

    # -------------------------------------------------------------------- check

    def check(self, text: str, shop: ShopProfile | None = None) -> list[Flag]:
        """The flags for ``text`` (an agent's reply, a suggestion, a template)."""
        if not text or not text.strip():
            return []
        views = make_views(text)
        hits = self._scanner.raw_hits(views)
        if not hits:
            return []
        found = [f for h in hits if (f := self._decide(h, views, shop)) is not None]
        found = self._drop_general(found, hits)
        return self._merge(found, text)

    def check_cached(self, text: str, shop: ShopProfile | None = None) -> list[Flag]:
        """``check``, remembered for the last ``CHECK_CACHE_SIZE`` texts and shops (the rules
        of a guard never change, so a result stays right as long as the guard lives)."""
        return list(self.remembered("flags", text, shop, lambda: tuple(self.check(text, shop))))

    def remembered(self, kind: str, text: str, shop: ShopProfile | None, compute: Callable[[], tuple]) -> tuple:
        """``compute()`` for this text and shop, remembered with this guard's rules (one bounded
        LRU for every ``kind`` of result: flags, the promises of an agent's turn…)."""
        key = (kind, text, shop.model_dump_json() if shop is not None else "")
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        found = compute()
        with self._cache_lock:
            self._cache[key] = found
            if len(self._cache) > CHECK_CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _decide(self, hit: Hit, views: Views, shop: ShopProfile | None) -> _Found | None:
        rule = self.rules[hit.spec]
        decided = _judge(rule, self._scanner, hit, views, shop)
        if decided is None:
            return None
        return _Found(hit.spec, hit.start, hit.end, *decided)

    def _drop_general(self, found: list[_Found], raw: list[Hit]) -> list[_Found]:
        """A hit that lies inside a raw hit of a more specific rule is that rule's to judge,
        even when that rule then let it pass (无法保证明天到 / 以物流为准)."""
        spec = [r.specificity for r in self.rules]
        # Most specific first: only the claims above a hit's own level are looked at.
        claims = sorted({(spec[h.spec], h.start, h.end) for h in raw}, reverse=True)
        kept = []
        for f in found:
            level = spec[f.rule]
            for lvl, s, e in claims:
                if lvl <= level:
                    kept.append(f)
                    break
                if s <= f.start and f.end <= e:
                    break
            else:
                kept.append(f)
        return kept

    def _merge(self, found: list[_Found], text: str) -> list[Flag]:
        found.sort(key=lambda f: (f.rule, f.start, -f.end))
        merged: list[_Found] = []
        for f in found:
            last = merged[-1] if merged else None
            if last is not None and last.rule == f.rule and f.start < last.end:
                last.end = max(last.end, f.end)
                if SEVERITY_RANK[f.severity] > SEVERITY_RANK[last.severity]:
                    last.severity, last.message = f.severity, f.message
            else:
                merged.append(_Found(f.rule, f.start, f.end, f.severity, f.message))
        merged.sort(key=lambda f: (f.start, f.end))
        return [
            Flag(
                rule=self.rules[f.rule].id,
                severity=f.severity,
                start=f.start,
                end=f.end,
                excerpt=text[f.start : f.end],
                message=f.message,
                suggestion=self.rules[f.rule].suggestion,
            )
            for f in merged
        ]

    # ------------------------------------------------------------------- alerts

    def alerts(
        self, message: str, shop: ShopProfile | None = None, normalized: Normalized | None = None
    ) -> list[tuple[Rule, str, str]]:
        """``(rule, severity, message)`` for each situation in a buyer's message that
        invites a bad promise; used by ``app.guard.alerts.situation_alerts``.
        ``normalized``: the message already normalised (it is not normalised again)."""
        if not message or not message.strip() or not self._alert_rules:
            return []
        views = make_views(message, normalized)
        out: list[tuple[Rule, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for hit in sorted(self._alerts.raw_hits(views), key=lambda h: h.start):
            rule = self._alert_rules[hit.spec]
            decided = _judge(rule.alert, self._alerts, hit, views, shop)
            if decided is None:
                continue
            severity, text = decided
            if (rule.id, text) not in seen:
                seen.add((rule.id, text))
                out.append((rule, severity, text))
        return out


def _judge(
    spec: Rule | AlertSpec, matcher: Scanner, hit: Hit, views: Views, shop: ShopProfile | None
) -> tuple[str, str] | None:
    """``(severity, message)`` for a hit of a rule or an alert, or None when a cue cancels it
    or its shop check clears it."""
    if matcher.cancelled(hit, views):
        return None
    hedged = matcher.hedged(hit, views)
    severity, message = spec.severity, spec.message
    if spec.check is not None:
        params = spec.params if spec.params is not None else NoParams()
        ctx = HitContext(
            hit.text, dict(hit.groups), matcher.sentence_of(hit, views), views.compact.text, shop, params, matcher.couriers
        )
        verdict = CHECKS[spec.check](ctx)
        if verdict is None:
            return None
        if hedged and verdict.severity is None:
            return None  # a hedged promise the shop can keep
        severity = verdict.severity or severity
        message = verdict.message or message
    elif hedged:
        return None
    return severity, message
