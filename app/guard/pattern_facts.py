"""What the guard learnt about each of its regular expressions, kept on disk between processes.

Building a guard used to parse every pattern three times and compile it once (about
0.5 s of a 2 s CLI call): to check it is valid, to derive its first-character gate
(``rules._with_first_char_gate``) and the literals the prefilter needs
(``prefilter.required_literals``), then to compile it.  None of that depends on
anything but the pattern's text, so it is worked out once and remembered here, in
``SHOUHOU_CACHE_DIR/guard-patterns.json``: for each expanded pattern that compiled,
its gated form and its literal sets.  A later process builds its guard from these
facts and compiles a pattern only when the prefilter first sends a text to it
(``rules.Pattern``); most never run.

Only a pattern that compiled is ever recorded, so a broken one is still reported when
a rule is parsed.  The file is keyed by the code that derives the facts and the
Python version (whose ``re`` parses the patterns); a file of another key, one that
cannot be read or one of the wrong shape is ignored and rewritten.  Writes are
atomic; several processes writing at once simply leave the last one's file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

from app import cache_dir

log = logging.getLogger("shouhou")

FILE = "guard-patterns.json"
#: Patterns remembered at most (stale ones from edited rules are dropped first).
MAX_PATTERNS = 4096
#: The literal sets of a pattern: None when it needs none (it always runs).
Literals = tuple[frozenset[str], ...] | None


def _code_key() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256(sys.version.encode())
    for name in ("pattern_facts.py", "prefilter.py", "rules.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


class PatternFacts:
    """Gate and literal sets per expanded pattern, loaded from and saved to ``directory``."""

    def __init__(self, directory: Path | None = None):
        self._directory = directory
        self._lock = threading.Lock()
        self._loaded = False
        self._key = ""
        #: pattern -> [its first-character gate ("" for none), literal sets as lists or None (absent:
        #: not derived yet)]; the gated regex is ``gate + "(?:" + pattern + ")"``
        self._facts: dict[str, list] = {}
        self._touched: set[str] = set()
        self._dirty = False

    @property
    def path(self) -> Path:
        return (self._directory or cache_dir()) / FILE

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        self._key = _code_key()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("key") != self._key or not isinstance(data.get("patterns"), dict):
            return
        for regex, fact in data["patterns"].items():
            if _valid(regex, fact):
                self._facts[regex] = fact

    def gate(self, regex: str) -> str | None:
        """The gated form of ``regex`` if it is known to compile, else None."""
        with self._lock:
            self._load()
            fact = self._facts.get(regex)
            if fact is None:
                return None
            self._touched.add(regex)
            return _gated(fact[0], regex)

    def learn_gate(self, regex: str, gated: str) -> None:
        """``regex`` compiled (as ``gated``: itself, or a gate followed by ``(?:regex)``)."""
        body = f"(?:{regex})"
        gate = gated[: -len(body)] if gated != regex and gated.endswith(body) else ""
        if _gated(gate, regex) != gated:
            return  # not a form this file can hold: the next process derives it again
        with self._lock:
            self._load()
            fact = self._facts.get(regex)
            if fact is None or fact[0] != gate:
                self._facts[regex] = [gate]
                self._dirty = True
            self._touched.add(regex)

    def literals(self, regex: str) -> tuple[bool, Literals]:
        """``(known, sets)`` for a known pattern's literal sets."""
        with self._lock:
            self._load()
            fact = self._facts.get(regex)
            if fact is None or len(fact) < 2:
                return False, None
            sets = fact[1]
            return True, None if sets is None else tuple(frozenset(s) for s in sets)

    def learn_literals(self, regex: str, sets: Literals) -> None:
        with self._lock:
            fact = self._facts.get(regex)
            if fact is None:
                return  # only patterns that compiled are remembered
            value = None if sets is None else [sorted(s) for s in sets]
            if len(fact) < 2 or fact[1] != value:
                self._facts[regex] = [fact[0], value]
                self._dirty = True

    def save(self) -> None:
        """Write what was learnt, if anything; a cache that cannot be written is only slower."""
        with self._lock:
            if not self._dirty:
                return
            keep = dict(self._facts)
            if len(keep) > MAX_PATTERNS:  # the patterns in use first, then any others
                order = sorted(keep, key=lambda r: r not in self._touched)
                keep = {r: keep[r] for r in order[:MAX_PATTERNS]}
            payload = json.dumps({"key": self._key, "patterns": keep}, ensure_ascii=False)
            self._dirty = False
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".guard-patterns-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
            os.replace(tmp, path)
        except OSError:
            log.info("the guard's pattern cache cannot be written in %s", path.parent)


def _valid(regex: object, fact: object) -> bool:
    if not isinstance(regex, str) or not isinstance(fact, list) or not 1 <= len(fact) <= 2:
        return False
    gate = fact[0]
    if not isinstance(gate, str) or gate and not (gate.startswith("(?=[") and gate.endswith("])")):
        return False  # a gate is a lookahead for the characters a match can start with
    if len(fact) == 1 or fact[1] is None:
        return True
    sets = fact[1]
    return isinstance(sets, list) and all(
        isinstance(s, list) and s and all(isinstance(w, str) and w for w in s) for s in sets
    )


def _gated(gate: str, regex: str) -> str:
    return f"{gate}(?:{regex})" if gate else regex


#: The process's facts (in the configured cache directory).
FACTS = PatternFacts()
