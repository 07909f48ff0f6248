"""Word segmentation with jieba and the after-sales domain dictionary.

A ``Segmenter`` is immutable: it keeps one set of words whole (the domain dictionary,
the courier names, the intents' keywords — one content snapshot's) in its own
``jieba.Tokenizer`` (never the global one).  When the content changes, the assistant
asks for the segmenter of the new word set (``Segmenter.for_words``), so a word an
editor removes really leaves segmentation.  Segmenters are remembered by a hash of
their words (a small LRU): a rebuild for a template edit gets the same object back.

jieba's main dictionary (about 0.6 s to load) is read once per process and cache
directory; each tokenizer starts from a copy of its prefix dictionary (about 10 ms)
and adds its own words.

jieba caches its prefix dictionary in ``/tmp/jieba.cache`` unless told otherwise,
written mode 0600 by whoever builds it first: another user (a Docker image built
as root and run as a non-root user) can neither read nor replace it, so every start
rebuilds the dictionary, logs a traceback and leaves a 9 MB temporary file behind.
It is kept in the cache directory instead (``SHOUHOU_CACHE_DIR``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

import jieba

from app import cache_dir as configured_cache_dir
from app.text.lexicon import DOMAIN_FREQ, Lexicon, bundled

_JIEBA_CACHE = "jieba.cache"
#: How many segmenters (word sets) are remembered; each holds about 15 MB of prefix dictionary.
SEGMENTERS_KEPT = 3

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


_bases: dict[Path, jieba.Tokenizer] = {}
_bases_lock = threading.Lock()


def _base(directory: Path) -> jieba.Tokenizer:
    """jieba's main dictionary, loaded once per process (and cache directory); never given words."""
    with _bases_lock:
        tk = _bases.get(directory)
        if tk is None:
            tk = jieba.Tokenizer()
            _initialize(tk, directory)
            _bases[directory] = tk
        return tk


def _clean(words: Iterable[str]) -> list[str]:
    return [w for w in (w.strip().lower() for w in words) if w]


def _digest(words: Mapping[str, int]) -> str:
    h = hashlib.sha256()
    for w in sorted(words):
        h.update(f"{w}\t{words[w]}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class Segmenter:
    """Splits normalised text into words, keeping one set of domain words whole (immutable).

    ``Segmenter()`` keeps the bundled lexicon's words (plus ``words``);
    ``Segmenter.for_words`` gives the remembered segmenter of an exact word set.
    With ``lazy``, jieba's dictionary (about a second on a cold start) is loaded on the
    first split instead: a command that never splits text (``shouhou check``, its
    classifier read from the on-disk cache) does not wait for it.
    """

    #: Never changes (a segmenter never learns words); kept for featurizers that key on it.
    version = 0

    def __init__(
        self,
        words: Iterable[str] = (),
        cache_dir: Path | None = None,
        lazy: bool = False,
        lexicon: Lexicon | None = None,
        *,
        exact: Mapping[str, int] | None = None,
    ):
        if exact is None:
            exact = {**(lexicon or bundled()).segment_words(), **dict.fromkeys(_clean(words), DOMAIN_FREQ)}
        self.words: Mapping[str, int] = dict(exact)
        self.cache_dir = Path(cache_dir or configured_cache_dir())
        self.lazy = lazy
        self.digest = _digest(self.words)
        self._tk: jieba.Tokenizer | None = None
        self._lock = threading.Lock()
        if not lazy:
            self._tokenizer()

    @classmethod
    def for_words(cls, words: Mapping[str, int], cache_dir: Path | None = None, lazy: bool = False) -> Segmenter:
        """The segmenter that keeps exactly ``words`` (word -> jieba frequency) whole, remembered
        by their hash: the same words give the same object (and tokenizer) back."""
        directory = Path(cache_dir or configured_cache_dir())
        key = (directory, _digest(words))
        with _cache_lock:
            found = _segmenters.get(key)
            if found is not None:
                _segmenters.move_to_end(key)
                return found
        made = cls(cache_dir=directory, lazy=lazy, exact=words)
        with _cache_lock:
            found = _segmenters.setdefault(key, made)
            _segmenters.move_to_end(key)
            while len(_segmenters) > SEGMENTERS_KEPT:
                _segmenters.popitem(last=False)
        return found

    def for_lexicon(self, lexicon: Lexicon, words: Iterable[str] = ()) -> Segmenter:
        """The segmenter of ``lexicon``'s words plus ``words`` (keywords), like this one otherwise."""
        exact = {**lexicon.segment_words(), **dict.fromkeys(_clean(words), DOMAIN_FREQ)}
        return self.for_words(exact, self.cache_dir, self.lazy)

    def with_words(self, words: Iterable[str]) -> Segmenter:
        """This segmenter's words plus ``words``: ``self`` when it has them all already."""
        new = [w for w in _clean(words) if self.words.get(w) != DOMAIN_FREQ]
        if not new:
            return self
        return self.for_words({**self.words, **dict.fromkeys(new, DOMAIN_FREQ)}, self.cache_dir, self.lazy)

    def _tokenizer(self) -> jieba.Tokenizer:
        tk = self._tk
        if tk is None:
            with self._lock:
                if self._tk is None:
                    base = _base(self.cache_dir)
                    tk = jieba.Tokenizer()
                    # A copy of the main dictionary, not a second read of it (10 ms instead of 600).
                    tk.FREQ, tk.total = dict(base.FREQ), base.total
                    tk.initialized = True
                    for w, freq in self.words.items():
                        tk.add_word(w, freq=freq)
                    self._tk = tk
                tk = self._tk
        return tk

    def prepare(self) -> None:
        """Build the tokenizer now (off a request's path), if it is not built yet."""
        self._tokenizer()

    def fingerprint(self) -> str:
        """A hash of everything that decides how text is split (jieba's version and every word
        kept whole, with its frequency): trained models are cached under it."""
        return hashlib.sha256(f"jieba {jieba.__version__}\n{self.digest}".encode()).hexdigest()

    def tokens(self, text: str) -> list[str]:
        """Words of ``text``, without whitespace."""
        return [w for w in self._tokenizer().lcut(text, HMM=True) if not w.isspace()]


_segmenters: OrderedDict[tuple[Path, str], Segmenter] = OrderedDict()
_cache_lock = threading.Lock()
