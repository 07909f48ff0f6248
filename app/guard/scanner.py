"""Finding what a set of rules (or alerts) looks for, and what cancels a hit.

Built once per rule set: one Aho-Corasick automaton holds the phrases of every
rule and the literals that each pattern needs (``app.guard.prefilter``), the
patterns are compiled once, and each rule's cue lists become one regular
expression per scope.  Per text: each view (``app.guard.text_views``) is scanned once
by the automaton, which gives the phrase hits and the patterns worth running;
only those run.  Hits are mapped back into the original text, and hits overlapping an
exception are dropped (``raw_hits``); ``cancelled`` then asks whether a
negation or hedge governs a hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from app.guard.prefilter import UNSURE_CHARS, required_literals
from app.guard.rules import MatchSpec, Pattern, compile_pattern, normalize_phrase
from app.guard.text_views import Views
from app.text.lexicon import CourierLexicon
from app.text.negation import is_a_not_a
from app.text.normalize import Normalized, is_punct


@dataclass(frozen=True, slots=True)
class Hit:
    spec: int  # index of the rule/alert in the matcher's list
    start: int  # span in the original text
    end: int
    text: str  # the hit in normalised form
    groups: tuple[tuple[str, str], ...] = ()  # named groups of the matching pattern


def _cue_regex(cues: list[str]) -> re.Pattern | None:
    words = sorted(
        {normalize_phrase(c) for c in cues if normalize_phrase(c)}, key=len, reverse=True
    )
    return re.compile("|".join(re.escape(w) for w in words)) if words else None


def _ascii_edge_ok(text: str, start: int, end: int) -> bool:
    """An ASCII word (vx, qq, 100%) must not be the middle of a longer one (vxyz, 1100%)."""
    first, last = text[start], text[end - 1]
    if first.isascii() and first.isalnum() and start > 0:
        before = text[start - 1]
        if before.isascii() and before.isalnum():
            return False
    if last.isascii() and last.isalpha() and end < len(text):
        after = text[end]
        if after.isascii() and after.isalpha():
            return False
    return True


def _widen(original: str, start: int, end: int) -> tuple[int, int]:
    """Normalisation folds a run of one punctuation mark into one ("}}" → "}"); a hit that
    ends on such a mark takes the whole run, so that the excerpt reads as it was typed."""
    while end < len(original) and original[end] == original[end - 1] and is_punct(original[end]):
        end += 1
    return start, end


def _real_cue(text: str, m: re.Match) -> bool:
    """不能 inside 能不能, 不是 inside 是不是: an A-not-A question is no negation."""
    return not is_a_not_a(text, m.start())


class _Compiled:
    def __init__(self, spec: MatchSpec, lexicon: CourierLexicon | None = None):
        self.spec = spec
        self.patterns = [compile_pattern(p, spec.define, lexicon) for p in spec.patterns]
        self.exceptions = [compile_pattern(p, spec.define, lexicon) for p in spec.exceptions]
        c = spec.cancel
        self.window = c.window
        self.before = _cue_regex(c.before)
        self.after = _cue_regex(c.after)
        self.clause = _cue_regex(c.clause)
        self.sentence = _cue_regex(c.sentence)
        self.hedge = _cue_regex(c.hedge)


class Scanner:
    def __init__(self, specs: list[MatchSpec], couriers: CourierLexicon | None = None):
        #: The couriers ``{courier}`` stands for, and the shop checks look up (None: the bundled ones).
        self.couriers = couriers
        self.specs = [_Compiled(s, couriers) for s in specs]
        #: Every pattern of every spec, in order, as ``(spec index, pattern)``.
        self._patterns: list[tuple[int, Pattern]] = []
        #: Patterns that need no literal (run on every text), by their index in ``_patterns``.
        self._always: list[int] = []
        #: How many literal sets each pattern needs found before it runs.
        self._needed: list[int] = []
        phrases: dict[str, set[int]] = {}
        needs: dict[str, set[tuple[int, int]]] = {}  # literal -> (pattern, which of its sets)
        for i, s in enumerate(specs):
            for p in s.phrases:
                phrases.setdefault(normalize_phrase(p), set()).add(i)
        for i, c in enumerate(self.specs):
            for pat in c.patterns:
                k = len(self._patterns)
                self._patterns.append((i, pat))
                sets = required_literals(pat)
                self._needed.append(len(sets) if sets else 0)
                if sets is None:
                    self._always.append(k)
                    continue
                for j, literals in enumerate(sets):
                    for w in literals:
                        needs.setdefault(w, set()).add((k, j))
        # One automaton for the phrases and for the literals that the patterns need: one
        # scan of a text finds the phrase hits and the few patterns worth running.
        self._automaton: ahocorasick.Automaton | None = None
        if phrases or needs:
            self._automaton = ahocorasick.Automaton()
            for w in phrases.keys() | needs.keys():
                self._automaton.add_word(
                    w, (len(w), tuple(sorted(phrases.get(w, ()))), tuple(sorted(needs.get(w, ()))))
                )
            self._automaton.make_automaton()

    # ------------------------------------------------------------------ matching

    def _scan(self, view: Normalized, views: Views, stripped: bool, out: dict) -> None:
        text = view.text

        def add(i: int, s: int, e: int, groups: tuple) -> None:
            if e <= s or (stripped and not views.stripped_match_ok(s, e)):
                return
            a, b = _widen(view.original, *view.span(s, e))
            key = (i, a, b)
            if key not in out:
                out[key] = Hit(i, a, b, text[s:e], groups)

        found: set[tuple[int, int]] = set()  # (pattern, literal set) seen in the text
        if self._automaton is not None:
            for end_idx, (length, idx, pats) in self._automaton.iter(text):
                if pats:
                    found.update(pats)
                if not idx:
                    continue
                s, e = end_idx - length + 1, end_idx + 1
                if not _ascii_edge_ok(text, s, e):
                    continue
                for i in idx:
                    add(i, s, e, ())
        if any(ch in text for ch in UNSURE_CHARS):
            wanted: list[int] | range = range(len(self._patterns))
        else:
            seen: dict[int, int] = {}
            for k, _ in found:
                seen[k] = seen.get(k, 0) + 1
            needed = self._needed
            wanted = sorted([*self._always, *(k for k, n in seen.items() if n == needed[k])])
        for k in wanted:
            i, pat = self._patterns[k]
            for m in pat.finditer(text):
                s, e = m.span("hit") if "hit" in pat.groupindex and m.group("hit") else m.span()
                if s == e or not _ascii_edge_ok(text, s, e):
                    continue
                groups = tuple((g, v) for g, v in m.groupdict().items() if v)
                add(i, s, e, groups)

    def raw_hits(self, views: Views) -> list[Hit]:
        """Every hit of every spec, in original offsets, exceptions removed."""
        found: dict[tuple, Hit] = {}
        self._scan(views.compact, views, False, found)
        if views.separated:
            self._scan(views.stripped, views, True, found)
        hits = list(found.values())
        if not hits:
            return hits
        exc_cache: dict[int, list[tuple[int, int]]] = {}
        kept = []
        for h in hits:
            c = self.specs[h.spec]
            if c.exceptions:
                spans = exc_cache.get(h.spec)
                if spans is None:
                    spans = exc_cache[h.spec] = self._exception_spans(c, views)
                if any(a < h.end and h.start < b for a, b in spans):
                    continue
            kept.append(h)
        return kept

    @staticmethod
    def _exception_spans(c: _Compiled, views: Views) -> list[tuple[int, int]]:
        spans = []
        for view in (views.compact, views.stripped):
            for pat in c.exceptions:
                for m in pat.finditer(view.text):
                    if m.end() > m.start():
                        spans.append(view.span(*m.span()))
        return spans

    # ---------------------------------------------------------------- cancelling

    def cancelled(self, hit: Hit, views: Views) -> bool:
        """Does a negation or hedge cue of the hit's spec govern it?

        Cues are looked up in the compact view, where punctuation still marks the
        clause, and again in the stripped view over the same clause, so that
        "不·能·保·证" still reads as a negation.
        """
        c = self.specs[hit.spec]
        cs, ce = views.to_compact(hit.start, hit.end)
        lo, hi = views.bounds(cs, ce)
        slo, shi = views.bounds(cs, ce, sentence=True)
        if self._cued(c, views.compact.text, cs, ce, lo, hi, slo, shi):
            return True
        if views.stripped.text == views.compact.text:
            return False
        to_stripped = views.compact_to_stripped
        return self._cued(
            c,
            views.stripped.text,
            *views.to_stripped(hit.start, hit.end),
            to_stripped(lo),
            to_stripped(hi),
            to_stripped(slo),
            to_stripped(shi),
        )

    @staticmethod
    def _cued(
        c: _Compiled, text: str, cs: int, ce: int, lo: int, hi: int, slo: int, shi: int
    ) -> bool:
        if c.before is not None:
            for m in c.before.finditer(text, lo, ce):
                if m.start() < cs and m.end() >= cs - c.window and _real_cue(text, m):
                    return True
        if c.after is not None:
            for m in c.after.finditer(text, max(lo, cs), hi):
                if m.end() > ce and m.start() <= ce + c.window and _real_cue(text, m):
                    return True
        if c.clause is not None and any(
            _real_cue(text, m) for m in c.clause.finditer(text, lo, hi)
        ):
            return True
        if c.sentence is not None and any(
            _real_cue(text, m) for m in c.sentence.finditer(text, slo, shi)
        ):
            return True
        return False

    def hedged(self, hit: Hit, views: Views) -> bool:
        """Does a hedge cue of the hit's spec (大概, 预计) stand in the hit's clause?"""
        c = self.specs[hit.spec]
        if c.hedge is None:
            return False
        cs, ce = views.to_compact(hit.start, hit.end)
        lo, hi = views.bounds(cs, ce)
        return c.hedge.search(views.compact.text, lo, hi) is not None

    def sentence_of(self, hit: Hit, views: Views) -> str:
        cs, ce = views.to_compact(hit.start, hit.end)
        lo, hi = views.bounds(cs, ce, sentence=True)
        return views.compact.text[lo:hi]
