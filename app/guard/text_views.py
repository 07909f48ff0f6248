"""The two views of a text that the guard matches on, and clause/sentence bounds.

- ``compact``: the normalised text without whitespace ("加 微 信" → 加微信).  Cues
  (不能保证, 以物流为准) are looked up here, because its punctuation still shows
  where a clause or a sentence ends.
  A space between two pieces of two or more characters ("后天能送到的 还需要帮您查别的吗")
  is where an agent began a new message, and a sentence-final particle followed by
  more text ("…没法指定哦行吧这单帮您走邮政") is where a clause ended in a chat typed
  without punctuation: both end a clause for the cues, although the patterns still
  see through them.
- ``stripped``: the compact view without punctuation and symbols as well
  ("加.微.信", "绝*对"), except a mark between two digits (1.5元).  Each of its
  characters remembers what was dropped just before it, so that a match that
  only exists because a clause boundary vanished ("可以加,微信支付…") can be told
  from one where separators were put between the characters on purpose.

Both are ``Normalized`` objects, so every span maps back into the original text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

from app.text.normalize import Normalized, normalize
from app.text.punctuation import CLAUSE_CHARS, SENTENCE_CHARS

#: How far (in characters) a clause reaches either side of a hit, at most.
CLAUSE_REACH = 12

GAP_NONE, GAP_SOFT, GAP_CLAUSE = 0, 1, 2


def _is_separator(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] == "P" or cat in ("Sm", "Sk", "So")


@dataclass(frozen=True, slots=True)
class Views:
    original: str
    compact: Normalized
    stripped: Normalized
    #: For each character of ``stripped``: what was dropped right before it.
    gaps: tuple[int, ...]
    #: Indices in ``compact`` of clause / sentence boundary characters; a clause mark
    #: ``i - 0.5`` is a boundary between two characters (a removed space before ``i``).
    clause_marks: tuple[float, ...]
    sentence_marks: tuple[float, ...]
    #: Are there separators that may hide a word: a symbol or quote between two
    #: characters ("加*微*信", 发“韵达”), or one-character pieces between clause marks
    #: ("绝，对，没问题")?  If not, the stripped view has nothing new to show.
    separated: bool

    def to_compact(self, start: int, end: int) -> tuple[int, int]:
        """An original span as indices into ``compact.text``."""
        offs = self.compact.offsets
        return bisect_left(offs, start, 0, len(offs) - 1), bisect_left(offs, end, 0, len(offs) - 1)

    def to_stripped(self, start: int, end: int) -> tuple[int, int]:
        """An original span as indices into ``stripped.text``."""
        offs = self.stripped.offsets
        return bisect_left(offs, start, 0, len(offs) - 1), bisect_left(offs, end, 0, len(offs) - 1)

    def compact_to_stripped(self, i: int) -> int:
        """The index in ``stripped.text`` of the first character at or after ``compact.text[i]``."""
        orig = self.compact.offsets[i]
        offs = self.stripped.offsets
        return bisect_left(offs, orig, 0, len(offs) - 1)

    def bounds(self, start: int, end: int, sentence: bool = False) -> tuple[int, int]:
        """The clause (or sentence) of ``compact.text[start:end]``: ``(first, past_last)``.

        A clause reaches at most ``CLAUSE_REACH`` characters either side of the hit:
        a chat message typed without punctuation ("好的这单后天给您寄出您放心有别的
        问题随时找小妹…") is one long clause, and a cue far away in it does not
        govern the hit.
        """
        marks = self.sentence_marks if sentence else self.clause_marks
        i = bisect_left(marks, start)
        lo = int(marks[i - 1]) + 1 if i > 0 else 0
        j = bisect_left(marks, end - 0.5)  # marks inside the hit itself do not cut it
        hi = math.ceil(marks[j]) if j < len(marks) else len(self.compact.text)
        if not sentence:
            lo, hi = max(lo, start - CLAUSE_REACH), min(hi, end + CLAUSE_REACH)
        return lo, hi

    def stripped_match_ok(self, start: int, end: int) -> bool:
        """Is a match ``stripped.text[start:end]`` more than two clauses glued together?

        Separators inside it are fine when they are not clause marks ("加*微*信"), or
        when they sit between most of its characters ("加,微,信", "绝，对，没，问，题").
        """
        inner = self.gaps[start + 1 : end]
        if GAP_CLAUSE not in inner:
            return True
        filled = sum(1 for g in inner if g)
        return filled >= 2 and filled * 2 >= len(inner)


def _clause_marks(t: str, raw: list[int], hard: set[int]) -> tuple[int, ...]:
    """Clause boundaries; a mark with at most one character on either side ("明，天，到",
    "亲，…") is a separator put between characters, not the end of a clause."""
    kept = []
    for k, i in enumerate(raw):
        prev = raw[k - 1] if k > 0 else -1
        nxt = raw[k + 1] if k + 1 < len(raw) else len(t)
        if i in hard or (i - prev - 1 > 1 and nxt - i - 1 > 1):
            kept.append(i)
    return tuple(kept)


def _space_marks(n: Normalized) -> list[float]:
    """Boundaries where a space separates two pieces of at least two characters each,
    as ``i - 0.5`` for the index ``i`` in the compact text of the character after it.

    A space between single characters ("保 证 明 天 到"), or next to a letter or digit
    ("iphone 11", "6月3日 18:00前"), is no boundary.
    """
    t = n.text
    if " " not in t:
        return []
    out: list[float] = []
    pieces = t.split(" ")
    ci = 0  # index in the compact text of the current piece's first character
    for k, piece in enumerate(pieces[:-1]):
        ci += len(piece)
        nxt = pieces[k + 1]
        before = _CLAUSE_RE.split(piece)[-1]
        after = _CLAUSE_RE.split(nxt)[0]
        if (
            len(before) >= 2
            and len(after) >= 2
            and not (before[-1].isascii() and before[-1].isalnum())
            and not (after[0].isascii() and after[0].isalnum())
        ):
            out.append(ci - 0.5)
    return out


#: Sentence-final particles that end a clause when more text follows ("…哦可以的").
_PARTICLES = re.compile(r"(?<=[\u4e00-\u9fff])[哦呢啦呀吧嘛喔哟](?=[\u4e00-\u9fff])")


def _particle_marks(t: str) -> list[float]:
    """Boundaries after a sentence-final particle inside a run of Chinese text."""
    return [m.end() - 0.5 for m in _PARTICLES.finditer(t)]


_CLAUSE_RE = re.compile("[" + re.escape(CLAUSE_CHARS) + "]")
_SEPARATORS: dict[str, bool] = {}
#: Every separator is one of these (a punctuation mark or a symbol is no word character,
#: except ``_``); ``_is_separator`` decides.
_MAYBE_SEPARATOR = re.compile(r"[^\w\s]|_")


def _marks(t: str) -> tuple[list[int], set[int]]:
    """Clause marks and the subset that ends a sentence (no decimal points: 1.5元)."""
    raw: list[int] = []
    hard: set[int] = set()
    for m in _CLAUSE_RE.finditer(t):
        i = m.start()
        ch = t[i]
        if ch in ".:" and 0 < i < len(t) - 1 and t[i - 1].isdigit() and t[i + 1].isdigit():
            continue
        raw.append(i)
        if ch in SENTENCE_CHARS:
            hard.add(i)
    return raw, hard


def make_views(text: str, normalized: Normalized | None = None) -> Views:
    """The views of ``text``; pass ``normalized`` when the caller has already normalised it
    (``suggest`` normalises the buyer's message once, for matching and for the alerts)."""
    n = normalized if normalized is not None and normalized.original == text else normalize(text)
    # normalize leaves whitespace only as single spaces
    compact = n.without(str.isspace) if " " in n.text else n
    t = compact.text
    last = len(t) - 1
    coffs = compact.offsets
    pieces: list[str] = []
    offs: list[int] = []
    gaps: list[int] = []
    pos = 0  # start of the run of kept characters not copied yet
    pending = GAP_NONE
    separated = False

    def keep(end: int) -> None:  # copy t[pos:end], the first one after what was dropped
        nonlocal pending, separated
        if pending == GAP_SOFT and pieces:
            separated = True
        pieces.append(t[pos:end])
        offs.extend(coffs[pos:end])
        gaps.append(pending)
        gaps.extend([GAP_NONE] * (end - pos - 1))
        pending = GAP_NONE

    for m in _MAYBE_SEPARATOR.finditer(t):
        i = m.start()
        ch = t[i]
        sep = _SEPARATORS.get(ch)
        if sep is None:
            sep = _SEPARATORS[ch] = _is_separator(ch)
        if not sep or (0 < i < last and t[i - 1].isdigit() and t[i + 1].isdigit()):
            continue  # kept like any other character
        if i > pos:
            keep(i)
        pending = max(pending, GAP_CLAUSE if ch in CLAUSE_CHARS else GAP_SOFT)
        pos = i + 1
    if pos < len(t):
        keep(len(t))
    offs.append(len(text))
    stripped = Normalized(text, "".join(pieces), tuple(offs))
    raw, hard = _marks(t)
    if not separated:
        # a one-character piece with clause marks on both sides
        # (after a sentence end it is an interjection: "。亲，")
        separated = any(
            raw[k + 1] - a == 2 and (a not in hard or a - (raw[k - 1] if k else -1) <= 2)
            for k, a in enumerate(raw[:-1])
        )
    clause = _clause_marks(t, raw, hard)
    soft = _space_marks(n) + _particle_marks(t)
    return Views(
        text,
        compact,
        stripped,
        tuple(gaps),
        tuple(sorted({*clause, *soft})) if soft else clause,
        tuple(sorted(hard)),
        separated,
    )
