"""Word segmentation with jieba and the after-sales domain dictionary.

Each ``Segmenter`` owns its own ``jieba.Tokenizer`` (never the global one), so
that loading the domain words does not leak into other code and tests can build
as many as they like.  Building one costs about half a second (jieba's prefix
dictionary), so the engine builds it once per process and *adds* words when
editors add keywords, instead of building a new one.

jieba caches its prefix dictionary in ``/tmp/jieba.cache`` unless told otherwise,
written mode 0600 by whoever builds it first: another user (a Docker image built
as root and run as a non-root user) can neither read nor replace it, so every start
rebuilds the dictionary, logs a traceback and leaves a 9 MB temporary file behind.
Each tokenizer here keeps it in the cache directory instead (``SHOUHOU_CACHE_DIR``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

from app import cache_dir as configured_cache_dir
from app.text.lexicon import LEXICON_DIR, couriers

DOMAIN_DICT = LEXICON_DIR / "domain.txt"
_DOMAIN_FREQ = 2000

_JIEBA_CACHE = "jieba.cache"

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger("shouhou")


def _initialize(tk: jieba.Tokenizer, directory: Path) -> None:
    """Build ``tk``'s prefix dictionary, cached as ``directory/jieba.cache`` when it can be.

    A directory that cannot be created or written (and holds no cache to read) gets
    no cache: the dictionary is built in a temporary directory removed afterwards.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        usable = os.access(directory, os.W_OK | os.X_OK) or os.access(directory / _JIEBA_CACHE, os.R_OK)
    except OSError:
        usable = False
    tk.cache_file = _JIEBA_CACHE
    if usable:
        tk.tmp_dir = str(directory)
        tk.initialize()
        return
    log.warning("jieba's dictionary cache cannot be kept in %s (not writable); it is built on every start", directory)
    with tempfile.TemporaryDirectory(prefix="shouhou-jieba-") as scratch:
        tk.tmp_dir = scratch
        tk.initialize()


class Segmenter:
    """Splits normalised text into words, keeping domain words whole."""

    def __init__(
        self,
        dict_path: Path | None = DOMAIN_DICT,
        words: Iterable[str] = (),
        cache_dir: Path | None = None,
        lazy: bool = False,
    ):
        # With ``lazy``, jieba's prefix dictionary (about a second to load) is built on the first
        # split instead: a command that never splits text (``shouhou check``, its classifier read
        # from the on-disk cache) does not wait for it.
        self._tk: jieba.Tokenizer | None = None
        self._cache_dir = cache_dir or configured_cache_dir()
        self._dict_path = dict_path if dict_path is not None and dict_path.exists() else None
        self._known: set[str] = set()
        self._added: list[str] = []  # in order, for the tokenizer built later
        self._lock = threading.Lock()
        #: Goes up whenever a new word changes how text may be split (caches key on it).
        self.version = 0
        self._dict_bytes = self._dict_path.read_bytes() if self._dict_path is not None else b""
        self._fingerprint: tuple[int, str] | None = None
        self.add_words(couriers().all_words())
        self.add_words(words)
        if not lazy:
            self._tokenizer()

    def _tokenizer(self) -> jieba.Tokenizer:
        tk = self._tk
        if tk is None:
            with self._lock:
                if self._tk is None:
                    tk = jieba.Tokenizer()
                    _initialize(tk, self._cache_dir)
                    if self._dict_path is not None:
                        tk.load_userdict(str(self._dict_path))
                    for w in self._added:
                        tk.add_word(w, freq=_DOMAIN_FREQ)
                    self._tk = tk
                tk = self._tk
        return tk

    def add_words(self, words: Iterable[str]) -> None:
        """Make sure ``words`` are never split (idempotent, cheap for known words)."""
        with self._lock:
            for w in words:
                w = w.strip().lower()
                if w and w not in self._known and not w.isspace():
                    self._known.add(w)
                    self._added.append(w)
                    if self._tk is not None:
                        self._tk.add_word(w, freq=_DOMAIN_FREQ)
                    self.version += 1

    def fingerprint(self) -> str:
        """A hash of everything that decides how text is split (jieba's version, the domain
        dictionary, the added words): trained models are cached under it."""
        with self._lock:
            if self._fingerprint is None or self._fingerprint[0] != self.version:
                h = hashlib.sha256(f"jieba {jieba.__version__}\n".encode())
                h.update(hashlib.sha256(self._dict_bytes).digest())
                h.update("\n".join(sorted(self._known)).encode())
                self._fingerprint = (self.version, h.hexdigest())
            return self._fingerprint[1]

    def tokens(self, text: str) -> list[str]:
        """Words of ``text``, without whitespace."""
        return [w for w in self._tokenizer().lcut(text, HMM=True) if not w.isspace()]

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """Words with their ``(start, end)`` offsets in ``text``, without whitespace."""
        return [(w, s, e) for w, s, e in self._tokenizer().tokenize(text, HMM=True) if not w.isspace()]
