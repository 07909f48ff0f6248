"""Word segmentation with jieba and the after-sales domain dictionary.

A ``Segmenter`` is immutable: it keeps one set of words whole (the domain dictionary,
the courier names, the intents' keywords — one content snapshot's) in its own
``jieba.Tokenizer`` (never the global one).  When the content changes, the assistant
asks for the segmenter of the new word set (``Segmenter.for_words``), so a word an
editor removes really leaves segmentation.  Segmenters are remembered by a hash of
their words (a small LRU): a rebuild for a template edit gets the same object back.

jieba's main dictionary (about 0.6 s to load, 14 MB) is read from disk once per
process and cache directory.  A new word set's tokenizer starts from a copy of a
built tokenizer's prefix dictionary (about 10 ms) with that tokenizer's own words
taken back out (each tokenizer remembers what its words replaced), so only one
prefix dictionary per word set is ever held — none for a "base" that splits nothing.

jieba caches its prefix dictionary in ``/tmp/jieba.cache`` unless told otherwise,
written mode 0600 by whoever builds it first: another user (a Docker image built
as root and run as a non-root user) can neither read nor replace it, so every start
rebuilds the dictionary, logs a traceback and leaves a 9 MB temporary file behind.
It is kept in the cache directory instead (``SHOUHOU_CACHE_DIR``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

import jieba

from app import cache_dir as configured_cache_dir
from app.text.lexicon import DOMAIN_FREQ, Lexicon, bundled

_JIEBA_CACHE = "jieba.cache"
#: How many segmenters (word sets) are remembered; each holds about 14 MB of prefix dictionary.
SEGMENTERS_KEPT = 2

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


#: Built segmenters, by cache directory: a new word set's tokenizer copies one of them.
_built: dict[Path, weakref.WeakSet[Segmenter]] = {}
_built_lock = threading.Lock()
#: What ``undo`` records for a key the main dictionary did not have.
_ABSENT = -1


def _donor(directory: Path) -> Segmenter | None:
    with _built_lock:
        for seg in _built.get(directory, ()):
            return seg
    return None


_FREQ_FILE = "jieba-freq.bin"
_FREQ_MAGIC = b"shouhou-jieba-freq 1\n"


def _freq_key() -> dict[str, object]:
    """What the compact dictionary was made from: jieba's version and its dictionary file."""
    try:
        size = (Path(jieba.__file__).parent / "dict.txt").stat().st_size
    except OSError:
        size = -1
    return {"jieba": jieba.__version__, "dict_bytes": size}


def _read_freq(directory: Path) -> tuple[dict[str, int], int] | None:
    """The prefix dictionary from ``directory/jieba-freq.bin``, or None when it is missing,
    from another jieba, or damaged (checked against its own hash)."""
    try:
        data = (directory / _FREQ_FILE).read_bytes()
        if not data.startswith(_FREQ_MAGIC):
            return None
        head_end = data.index(b"\n", len(_FREQ_MAGIC))
        head = json.loads(data[len(_FREQ_MAGIC) : head_end])
        body = memoryview(data)[head_end + 1 :]
        if head.get("key") != _freq_key() or hashlib.sha256(body).hexdigest() != head.get("sha256"):
            return None
        n, words_len = int(head["words"]), int(head["words_bytes"])
        values = array("q")
        values.frombytes(body[words_len:])
        words = str(body[:words_len], "utf-8").split("\n")  # no copy of the bytes first
        del body, data
        if len(words) != n or len(values) != n:
            return None
        return dict(zip(words, values, strict=True)), int(head["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_freq(directory: Path, freq: dict[str, int], total: int) -> None:
    """Keep the prefix dictionary as words and numbers (no marshal or pickle): reading it back
    takes about 0.18 s where jieba's own cache takes 0.6 s.  A directory that cannot be written
    only costs that time."""
    words = "\n".join(freq).encode("utf-8")
    body = words + array("q", freq.values()).tobytes()
    head = {"key": _freq_key(), "words": len(freq), "words_bytes": len(words), "total": total,
            "sha256": hashlib.sha256(body).hexdigest()}
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".jieba-freq-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(_FREQ_MAGIC + json.dumps(head).encode() + b"\n" + body)
        os.chmod(tmp, 0o644)  # readable by another user of the same cache (docker run --user)
        os.replace(tmp, directory / _FREQ_FILE)
    except OSError:
        log.info("jieba's compact dictionary cannot be kept in %s", directory)


def _main_dictionary(directory: Path) -> tuple[dict[str, int], int]:
    """jieba's main prefix dictionary and total, as a new dict: copied from a built segmenter
    with its words taken back out, or read from disk when none is alive (our compact file,
    else jieba's own cache or dictionary, which then writes the compact file)."""
    donor = _donor(directory)
    if donor is None or donor._tk is None:
        found = _read_freq(directory)
        if found is not None:
            return found
        tk = jieba.Tokenizer()
        _initialize(tk, directory)
        if not any("\n" in w for w in tk.FREQ):
            _write_freq(directory, tk.FREQ, tk.total)
        return tk.FREQ, tk.total
    freq = dict(donor._tk.FREQ)
    for key, old in donor._undo.items():
        if old == _ABSENT:
            del freq[key]
        else:
            freq[key] = old
    return freq, donor._main_total


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
        #: What this segmenter's words replaced in the main dictionary (``_ABSENT``: nothing).
        self._undo: dict[str, int] = {}
        self._main_total = 0
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
                    self._tk = self._build()
                tk = self._tk
        return tk

    def _build(self) -> jieba.Tokenizer:
        freq, total = _main_dictionary(self.cache_dir)
        self._main_total = total
        undo = self._undo
        for word, f in self.words.items():
            # what jieba's add_word does (the word, then each prefix it lacks as 0), remembering
            # the main dictionary's values so that the next word set can start from this copy
            for end in range(len(word), 0, -1):
                key = word[:end]
                if key not in undo:
                    undo[key] = freq.get(key, _ABSENT)
            freq[word] = f
            total += f
            for end in range(1, len(word)):
                freq.setdefault(word[:end], 0)
        tk = jieba.Tokenizer()
        tk.FREQ, tk.total, tk.initialized = freq, total, True
        with _built_lock:
            _built.setdefault(self.cache_dir, weakref.WeakSet()).add(self)
        return tk

    def prepare(self) -> None:
        """Build the tokenizer now (off a request's path), if it is not built yet."""
        self._tokenizer()

    def fingerprint(self) -> str:
        """A hash of everything that decides how text is split (jieba's version and every word
        kept whole, with its frequency): trained models are cached under it."""
        return hashlib.sha256(f"jieba {jieba.__version__}\n{self.digest}".encode()).hexdigest()

    def tokens(self, text: str, memo: dict[str, list[str]] | None = None) -> list[str]:
        """Words of ``text``, without whitespace.

        ``memo``: the words of each run of text already cut in this request (a message and then
        its clauses share their runs).  jieba cuts each run of its word characters on its own
        (``jieba.Tokenizer.cut``), so a text's words are those of its runs, cut once.
        """
        if memo is None:
            return self._cut(text)
        out: list[str] = []
        for run in jieba.re_han_default.split(text):
            if run:
                words = memo.get(run)
                if words is None:
                    words = memo[run] = self._cut(run)
                out += words
        return out

    def _cut(self, text: str) -> list[str]:
        return [w for w in self._tokenizer().lcut(text, HMM=True) if not w.isspace()]


_segmenters: OrderedDict[tuple[Path, str], Segmenter] = OrderedDict()
_cache_lock = threading.Lock()
