"""Domain word lists shared by segmentation, entity extraction and the guard.

The lists themselves are data in ``lexicon/`` (couriers and their aliases, the
jieba domain dictionary); this module loads them once and finds them in text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml

from app import PROJECT_ROOT

LEXICON_DIR = PROJECT_ROOT / "lexicon"


@dataclass(frozen=True, slots=True)
class Mention:
    """A courier named in a normalised text: ``text[start:end]`` names ``courier``."""

    start: int
    end: int
    courier: str


class CourierLexicon:
    """Finds couriers by name or alias (Aho-Corasick, longest match, left to right)."""

    def __init__(self, couriers: dict[str, list[str]], tracking_prefixes: dict[str, list[str]] | None = None):
        self.names: list[str] = list(couriers)
        # Longest prefix first: ZTO before a shorter one that it starts with.
        self._prefixes = sorted(
            ((p.upper(), name) for name, ps in (tracking_prefixes or {}).items() for p in ps),
            key=lambda pn: -len(pn[0]),
        )
        self._automaton = ahocorasick.Automaton()
        for name, aliases in couriers.items():
            for alias in {name.lower(), *(a.lower() for a in aliases)}:
                self._automaton.add_word(alias, (alias, name))
        self._automaton.make_automaton()

    @classmethod
    def from_file(cls, path: Path) -> CourierLexicon:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = data.get("couriers", [])
        return cls(
            {c["name"]: list(c.get("aliases", [])) for c in entries},
            {c["name"]: list(c.get("tracking_prefixes", [])) for c in entries},
        )

    def of_tracking_number(self, tracking_no: str) -> str | None:
        """The courier whose waybills start like ``tracking_no`` (SF1234567890 → 顺丰), or None."""
        number = tracking_no.strip().upper()
        for prefix, name in self._prefixes:
            if number.startswith(prefix) and number[len(prefix) :][:1].isdigit():
                return name
        return None

    def all_words(self) -> list[str]:
        """Every name and alias, for the segmenter's dictionary."""
        return [alias for alias, _ in self._automaton.values()]

    def canonical(self, word: str) -> str | None:
        """The canonical name for ``word`` (a name or alias), or None."""
        hit = self._automaton.get(word.strip().lower(), None)
        return hit[1] if hit else None

    def find(self, text: str) -> list[Mention]:
        """Couriers mentioned in ``text`` (normalised: lower case, simplified)."""
        hits: list[Mention] = []
        for end_idx, (alias, name) in self._automaton.iter_long(text):
            start = end_idx - len(alias) + 1
            # An ASCII alias must stand alone: "sf" yes, "sfx" or "asf" no.
            if alias.isascii() and alias[0].isalpha():
                before = text[start - 1] if start > 0 else " "
                after = text[end_idx + 1] if end_idx + 1 < len(text) else " "
                if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha()):
                    continue
            hits.append(Mention(start, end_idx + 1, name))
        return hits


@lru_cache(maxsize=1)
def couriers() -> CourierLexicon:
    return CourierLexicon.from_file(LEXICON_DIR / "couriers.yaml")
