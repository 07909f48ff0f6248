"""Which literal strings a match of a pattern must contain, so that one scan finds the candidates.

The guard holds a few hundred patterns.  Running each of them over every text costs
hundreds of regex scans per request, although almost none can match: a pattern like
``(给您|帮您)(发|安排){courier}`` cannot match a text without 给您 or 帮您 in it.
``required_literals`` reads a compiled pattern's syntax tree (Python's own parser)
and returns sets of strings such that every match contains a string of each set
(``(赔|补偿)…(元|块)``: one of 赔 补偿, and one of 元 块); the matcher puts all of
them, for every pattern, into one Aho-Corasick automaton with the phrases, scans the
text once, and runs only the patterns whose every set it found.  A pattern that
needs no literal (``\\d+元?``) returns ``None`` and always runs.

The answer is conservative: a set is returned only when every match of the pattern
is sure to contain one of its strings, so the guard's flags are exactly what running
every pattern would give.  Patterns compile with IGNORECASE against a text whose
ASCII letters are lower-case: literals are lower-cased, and a literal with a cased
letter outside ASCII makes the part unknown.  Four characters outside ASCII match an
ASCII letter under IGNORECASE (İ ı ſ K); NFKC folds two of them, and a text with
one of the others runs every pattern (``UNSURE_CHARS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from app.guard import pattern_facts

if TYPE_CHECKING:
    from app.guard.rules import Pattern

try:
    from re import _constants as _c  # Python 3.11+
    from re import _parser as _sre
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]

#: Characters that IGNORECASE matches with an ASCII letter and that NFKC keeps.
UNSURE_CHARS = "\u0130\u0131"
#: The most strings a literal set may hold (a product of alternations grows fast).
MAX_STRINGS = 64
#: Character classes up to this size count as a set of literals.
MAX_CLASS = 16
#: The most sets a pattern needs found (each one more scan result to keep track of).
MAX_SETS = 3


@dataclass(frozen=True, slots=True)
class _Info:
    #: Every string this part can match, when they are few (None: too many or unknown).
    exact: frozenset[str] | None
    #: Sets of strings: every match of this part contains a string of each set
    #: (``()``: nothing known).
    required: tuple[frozenset[str], ...]


_UNKNOWN = _Info(None, ())
_EMPTY = _Info(frozenset({""}), ())


def _char(code: int) -> str | None:
    ch = chr(code)
    low = ch.lower()
    if ch.isascii():
        return low
    if len(low) != 1 or low != ch or ch.upper() != ch:
        return None  # a cased letter outside ASCII: IGNORECASE may fold it in ways we do not follow
    return ch


def _usable(found: frozenset[str] | None) -> bool:
    return bool(found) and "" not in found  # type: ignore[operator]


def _rank(sets: list[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """The most selective sets first (longer shortest string, then fewer strings), at most ``MAX_SETS``."""
    unique = {s for s in sets if _usable(s)}
    return tuple(sorted(unique, key=lambda s: (-min(map(len, s)), len(s), sorted(s)))[:MAX_SETS])


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > MAX_STRINGS:
        return None
    return frozenset(x + y for x in a for y in b)


def _sequence(items) -> _Info:
    run: frozenset[str] = frozenset({""})
    sets: list[frozenset[str]] = []
    all_exact = True
    for op, av in items:
        info = _node(op, av)
        if info.exact is not None:
            joined = _product(run, info.exact)
            if joined is None:  # too many: what the run had is needed, and a new run starts
                sets.append(run)
                all_exact = False
                joined = info.exact
            run = joined
            continue
        all_exact = False
        sets.append(run)
        sets.extend(info.required)
        run = frozenset({""})
    sets.append(run)
    return _Info(run if all_exact else None, _rank(sets))


def _node(op, av) -> _Info:
    if op is _c.LITERAL:
        ch = _char(av)
        return _Info(frozenset({ch}), ()) if ch is not None else _UNKNOWN
    if op is _c.IN:
        chars: set[str] = set()
        for o, a in av:
            if o is _c.LITERAL:
                ch = _char(a)
            elif o is _c.RANGE and a[1] - a[0] < MAX_CLASS:
                for code in range(a[0], a[1] + 1):
                    ch = _char(code)
                    if ch is None:
                        return _UNKNOWN
                    chars.add(ch)
                continue
            else:  # NEGATE, categories (\d matches more than 0-9), big ranges
                return _UNKNOWN
            if ch is None:
                return _UNKNOWN
            chars.add(ch)
        return _Info(frozenset(chars), ()) if 0 < len(chars) <= MAX_CLASS else _UNKNOWN
    if op is _c.BRANCH:
        infos = [_sequence(branch) for branch in av[1]]
        exact = None
        if all(i.exact is not None for i in infos):
            union = frozenset().union(*(i.exact for i in infos))  # type: ignore[misc]
            exact = union if len(union) <= MAX_STRINGS else None
        # Each branch must bring a string of one of its own sets; the union is what the whole needs.
        parts = []
        for i in infos:
            best = i.exact if i.exact is not None and _usable(i.exact) else (i.required[0] if i.required else None)
            if best is None:
                return _Info(exact, ())
            parts.append(best)
        union = frozenset().union(*parts)
        return _Info(exact, (union,) if len(union) <= MAX_STRINGS * 4 else ())
    if op is _c.SUBPATTERN:
        return _sequence(av[-1])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, hi, item = av
        inner = _sequence(item)
        if lo == 0:
            if inner.exact is not None and hi != _c.MAXREPEAT and hi <= 2:
                exact: frozenset[str] | None = frozenset({""}) | inner.exact
                if hi == 2:
                    twice = _product(inner.exact, inner.exact)
                    exact = exact | twice if twice is not None else None
                return _Info(exact, ())
            return _UNKNOWN
        if inner.exact is not None and lo == hi and lo <= 3:
            exact = frozenset({""})
            for _ in range(lo):
                exact = _product(exact, inner.exact) if exact is not None else None
            if exact is not None:
                return _Info(exact, ())
        if inner.exact is not None and _usable(inner.exact):
            return _Info(None, (inner.exact,))
        return _Info(None, inner.required)
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _EMPTY  # consumes nothing: the text around it is still contiguous
    return _UNKNOWN  # ANY, NOT_LITERAL, backreferences, conditionals…


def _minimal(found: frozenset[str]) -> frozenset[str]:
    """A string that contains another one of the set adds nothing (发给您 when 发 is there)."""
    kept: list[str] = []
    for s in sorted(found, key=len):  # shortest first: only a kept one can be inside a longer one
        if not any(t in s for t in kept):
            kept.append(s)
    return frozenset(kept)


def required_literals(pattern: Pattern) -> tuple[frozenset[str], ...] | None:
    """Sets of strings such that every match of ``pattern`` contains a string of each set,
    most selective first (at most ``MAX_SETS``), or None when it needs none.

    ``pattern`` is a guard pattern (IGNORECASE) run on normalised text (ASCII
    lower-cased).  The answer is remembered with the pattern's other facts
    (``pattern_facts``): a later process reads it instead of parsing the pattern.
    """
    facts = pattern_facts.FACTS
    known, sets = facts.literals(pattern.source)
    if known:
        return sets
    sets = _required(pattern.regex, re.IGNORECASE)
    facts.learn_literals(pattern.source, sets)
    return sets


@lru_cache(maxsize=4096)  # a rule edit rebuilds the guard: the other rules' patterns are known
def _required(regex: str, flags: int) -> tuple[frozenset[str], ...] | None:
    try:
        parsed = _sre.parse(regex, flags)
    except Exception:  # an optimisation only: the pattern then always runs
        return None
    sets = _rank([_minimal(s) for s in _sequence(list(parsed)).required])
    return sets or None
