"""Turning a normalised text into features, and into clauses.

A text is described by its jieba words (``w:``) and its character unigrams and
bigrams (``c1:``/``c2:``), which survive typos and unseen word splits (the
choice of n-grams was made by cross-validation, ``benchmarks/crossval.py``).
Weighting (TF-IDF) is the matcher's job; this module only says what the
features of one text are.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from app.text.punctuation import CLAUSE_CHARS
from app.text.segment import Segmenter

NGRAMS = (1, 2)  # the default; the decision policy may choose others

# Where one problem ends and the next begins: "颜色不对，而且还少发了一件".
_CLAUSE_BREAK = re.compile(
    "[" + re.escape(CLAUSE_CHARS) + r"]+|\s+|(?=而且|并且|另外|还有就是|还有|同时|顺便|再说|不然|否则|要不然|再不|然后|但是|可是|结果|所以)"
)


# Letters and digits of any script (\w without the underscore): what n-grams are made of.
_WORDISH = re.compile(r"[^\W_]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    start: int  # offsets in the normalised text
    end: int


def clauses(text: str, min_len: int = 2, join_below: int = 4) -> list[Clause]:
    """Split a normalised text into clauses; pieces shorter than ``join_below`` join the
    previous clause, and what is still shorter than ``min_len`` is dropped."""
    pieces: list[Clause] = []
    pos = 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() > pos:
            pieces.append(Clause(text[pos : m.start()], pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(text):
        pieces.append(Clause(text[pos:], pos, len(text)))
    merged: list[Clause] = []
    for c in pieces:
        if merged and len(c.text) < join_below:
            prev = merged[-1]
            merged[-1] = Clause(text[prev.start : c.end], prev.start, c.end)
        else:
            merged.append(c)
    return [c for c in merged if len(c.text.strip()) >= min_len]


class Featurizer:
    """Features of a normalised text: words plus character n-grams.

    Only training texts are cached (``train_features``), and only those of the last
    training (``retain``): an edit re-featurizes just the examples that changed, while
    buyers' messages, which rarely repeat, are computed each time and never held, so
    memory does not grow with traffic.
    """

    def __init__(self, segmenter: Segmenter, ngrams: tuple[int, ...] = NGRAMS):
        self.segmenter = segmenter
        self.ngrams = tuple(ngrams)
        self._cache: dict[str, Counter[str]] = {}

    def features(self, text: str, words: dict[str, list[str]] | None = None) -> Counter[str]:
        """The features of ``text`` (a training text's from the cache; anything else computed, not kept).

        ``words``: jieba's words of each run of text already split in this request (a message
        and then its clauses share their runs), filled as it goes and dropped with the request.
        """
        cached = self._cache.get(text)
        return cached if cached is not None else self._compute(text, words)

    def train_features(self, text: str) -> Counter[str]:
        """The features of a training text, kept until ``retain`` drops it."""
        cache = self._cache
        feats = cache.get(text)
        if feats is None:
            feats = cache[text] = self._compute(text)
        return feats

    def retain(self, texts: Iterable[str]) -> None:
        """Forget the cached features of every text not in ``texts`` (the current training set)."""
        keep = set(texts)
        self._cache = {t: f for t, f in self._cache.items() if t in keep}

    def fingerprint(self) -> str:
        """What the features depend on besides the text: for keys of trained models."""
        return f"ngrams={self.ngrams};{self.segmenter.fingerprint()}"

    def _compute(self, text: str, memo: dict[str, list[str]] | None = None) -> Counter[str]:
        feats: Counter[str] = Counter(["w:" + w for w in self.segmenter.tokens(text, memo) if _WORDISH.search(w)])
        compact = _NON_WORD.sub("", text)
        for n in self.ngrams:
            prefix = f"c{n}:"
            feats.update([prefix + compact[i : i + n] for i in range(len(compact) - n + 1)])
        return feats
