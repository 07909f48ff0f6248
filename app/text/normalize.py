"""Text normalisation with a map back to the text as it was sent.

Buyers and agents type full-width letters, traditional characters, emoji and
invisible characters; evaders put spaces or zero-width characters between the
characters of a word.  Matching and the compliance guard work on a normalised
copy, and every character of that copy remembers which character of the
original it came from, so that spans found in the copy point into what the user
sent (``Normalized.span``).

Steps, in order:

1. zero-width, format and control characters are dropped (``\\u200b``, ``\\ufeff``…), and
   so are lone surrogates (``\\ud800``: half a UTF-16 pair, which has no UTF-8 form and
   would make OpenCC fail; the API refuses them, ``app/api/safe_text.py``);
2. NFKC folds full-width letters, digits and punctuation to their ASCII forms;
3. ASCII letters are lower-cased;
4. traditional characters are read as simplified (OpenCC ``t2s``);
5. emoji and other pictographs become a space;
6. runs of whitespace become one space, runs of the same punctuation mark one mark.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

_PUNCT_CATEGORIES = {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` with traditional characters read as simplified (OpenCC ``t2s``, phrase by phrase).

    The one converter of the process: building one loads OpenCC's dictionaries.
    """
    return _t2s().convert(text)


def _is_dropped(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if ch in "\n\t":
        return False
    # Cf: zero-width space/joiner, BOM, bidi marks; Cc: control; Cs: lone surrogate;
    # Mn on emoji: variation selectors.
    return cat in ("Cf", "Cc", "Cs") or "\ufe00" <= ch <= "\ufe0f"


def _is_pictograph(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if cat == "So":
        return True
    cp = ord(ch)
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF


def is_punct(ch: str) -> bool:
    return unicodedata.category(ch) in _PUNCT_CATEGORIES


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and, for each of its characters, the index in ``original``.

    ``offsets`` has one entry per character of ``text`` plus a final sentinel equal
    to ``len(original)``, so any half-open span of ``text`` maps back to one of
    ``original``.
    """

    original: str
    text: str
    offsets: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``text[start:end]`` to ``(start, end)`` in ``original``.

        The result covers every original character that produced the span, and
        never starts or ends on a dropped character (space, zero-width…) outside it.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside 0:{len(self.text)}")
        if start == end:
            o = self.offsets[start]
            return o, o
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1
        # One original character can expand to several (NFKC of '㈱'); stretch to cover it.
        while o_end < len(self.original) and end < len(self.text) and self.offsets[end] < o_end:
            end += 1
        return o_start, o_end

    def excerpt(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]

    def without(self, drop) -> Normalized:
        """A copy without the characters for which ``drop(ch)`` is true, offsets kept.

        The guard uses ``without(str.isspace)`` to see through "加 微 信".
        """
        chars: list[str] = []
        offs: list[int] = []
        for ch, off in zip(self.text, self.offsets, strict=False):
            if not drop(ch):
                chars.append(ch)
                offs.append(off)
        offs.append(len(self.original))
        return Normalized(self.original, "".join(chars), tuple(offs))


def _fold(ch: str) -> str:
    """Steps 1, 2, 3 and 5 for one character: what it becomes ("" when it is dropped)."""
    if _is_dropped(ch):
        return ""
    if _is_pictograph(ch):
        return " "
    folded = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
    return "".join(f.lower() if f.isascii() else f for f in folded if not _is_dropped(f))


#: ``_fold`` of the characters seen so far; a text is normalised for every request, and
#: one dictionary look-up per character is several times cheaper than the steps.
_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 50_000  # distinct characters kept (a few MB at most)
_PUNCT: dict[str, bool] = {}
#: What step 6 would change: whitespace other than one space between characters, or a
#: repeated character that may be punctuation (no punctuation but ``_`` is a word character).
_RUNS = re.compile(r"\s\s|^\s|\s$|[^\S ]|([^\w\s]|_)\1")


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching and checking; see the module docstring."""
    folds = _FOLDED
    parts = [folds.get(ch) for ch in text]
    if None in parts:
        for i, ch in enumerate(text):
            if parts[i] is None:
                parts[i] = f = _fold(ch)
                if len(folds) < _FOLDED_MAX:
                    folds[ch] = f
    joined = "".join(parts)  # type: ignore[arg-type]
    if len(joined) == len(text) and "" not in parts:
        offs: list[int] = list(range(len(text)))  # one character each: offsets unchanged
    else:
        offs = []
        for i, f in enumerate(parts):
            if f:
                offs.extend([i] * len(f))  # type: ignore[arg-type]

    # Traditional -> simplified.  OpenCC converts phrase by phrase; it keeps the
    # length for almost every input, and where it does not we convert per char.
    converted = _t2s().convert(joined)
    if len(converted) != len(joined):
        converted = "".join(_t2s().convert(c) if len(_t2s().convert(c)) == 1 else c for c in joined)

    # Collapse whitespace runs and repeated punctuation ("！！！" -> "!").
    if _RUNS.search(converted) is None:  # nothing to collapse (most texts)
        offs.append(len(text))
        return Normalized(text, converted, tuple(offs))
    out: list[str] = []
    out_offs: list[int] = []
    for ch, off in zip(converted, offs, strict=True):
        if ch.isspace():
            ch = " "
            if not out or out[-1] == " ":
                continue
        elif out and ch == out[-1]:
            punct = _PUNCT.get(ch)
            if punct is None:
                punct = is_punct(ch)
                if len(_PUNCT) < _FOLDED_MAX:
                    _PUNCT[ch] = punct
            if punct:
                continue
        out.append(ch)
        out_offs.append(off)
    while out and out[-1] == " ":
        out.pop()
        out_offs.pop()
    out_offs.append(len(text))
    return Normalized(text, "".join(out), tuple(out_offs))
