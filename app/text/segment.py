"""Word segmentation with jieba and the after-sales domain dictionary.

Each ``Segmenter`` owns its own ``jieba.Tokenizer`` (never the global one), so
that loading the domain words does not leak into other code and tests can build
as many as they like.  Building one costs about half a second (jieba's prefix
dictionary), so the engine builds it once per process and *adds* words when
editors add keywords, instead of building a new one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

from app.text.lexicon import LEXICON_DIR, couriers

DOMAIN_DICT = LEXICON_DIR / "domain.txt"
_DOMAIN_FREQ = 2000

jieba.setLogLevel(logging.WARNING)


class Segmenter:
    """Splits normalised text into words, keeping domain words whole."""

    def __init__(self, dict_path: Path | None = DOMAIN_DICT, words: Iterable[str] = ()):
        self._tk = jieba.Tokenizer()
        self._tk.initialize()
        self._known: set[str] = set()
        self._lock = threading.Lock()
        #: Goes up whenever a new word changes how text may be split (caches key on it).
        self.version = 0
        if dict_path is not None and dict_path.exists():
            self._tk.load_userdict(str(dict_path))
        self.add_words(couriers().all_words())
        self.add_words(words)

    def add_words(self, words: Iterable[str]) -> None:
        """Make sure ``words`` are never split (idempotent, cheap for known words)."""
        with self._lock:
            for w in words:
                w = w.strip().lower()
                if w and w not in self._known and not w.isspace():
                    self._known.add(w)
                    self._tk.add_word(w, freq=_DOMAIN_FREQ)
                    self.version += 1

    def tokens(self, text: str) -> list[str]:
        """Words of ``text``, without whitespace."""
        return [w for w in self._tk.lcut(text, HMM=True) if not w.isspace()]

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """Words with their ``(start, end)`` offsets in ``text``, without whitespace."""
        return [(w, s, e) for w, s, e in self._tk.tokenize(text, HMM=True) if not w.isspace()]
