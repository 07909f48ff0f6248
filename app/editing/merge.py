"""Three-way merge of a document's text: the version an editor started from, the newer one, theirs.

Two people edited the same document at once: ``base`` is the version both started
from, ``theirs`` the version saved meanwhile, ``yours`` the edit being saved.  Lines
changed on one side only are taken from that side; lines both changed the same way
are taken once; lines both changed differently are a conflict the editor resolves by
choosing 用我的 or 用对方的 (``resolve``).  The merging is the classic diff3 algorithm
over lines (``_merge_groups``: the stretches of ``base`` that both sides kept unchanged
split the texts into regions, and each region between them is settled or a conflict),
on top of ``difflib`` — a few lines of our own rather than a GPL-licensed dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

Choice = Literal["yours", "theirs"]


@dataclass(frozen=True)
class Chunk:
    """A run of the merged text: settled (``text``) or a conflict (``base``/``theirs``/``yours``)."""

    text: str = ""
    conflict: bool = False
    base: str = ""
    theirs: str = ""
    yours: str = ""
    #: Where a settled run comes from: both sides agree ("same"), only yours or only theirs changed it.
    origin: Literal["unchanged", "same", "yours", "theirs", "conflict"] = "unchanged"

    def as_dict(self) -> dict[str, object]:
        if self.conflict:
            return {"conflict": True, "base": self.base, "theirs": self.theirs, "yours": self.yours}
        return {"conflict": False, "text": self.text, "origin": self.origin}


@dataclass(frozen=True)
class MergeResult:
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def conflicts(self) -> int:
        return sum(1 for c in self.chunks if c.conflict)

    @property
    def clean(self) -> bool:
        return self.conflicts == 0

    @property
    def text(self) -> str | None:
        """The merged text when nothing conflicts, else ``None`` (see ``resolve``)."""
        return "".join(c.text for c in self.chunks) if self.clean else None


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _ensure_newline(lines: list[str]) -> list[str]:
    # lines are compared whole: "a" (last line, no newline) and "a\n" would differ for nothing
    if lines and not lines[-1].endswith(("\n", "\r")):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def _sync_regions(base: list[str], a: list[str], b: list[str]) -> list[tuple[int, int, int, int, int, int]]:
    """Stretches of ``base`` that ``a`` and ``b`` both kept: (base start, end, a start, end, b start, end),
    in order, ending with an empty one at the three ends."""
    ma = SequenceMatcher(None, base, a, autojunk=False).get_matching_blocks()
    mb = SequenceMatcher(None, base, b, autojunk=False).get_matching_blocks()
    out = []
    i = j = 0
    while i < len(ma) and j < len(mb):
        a_base, a_at, a_len = ma[i]
        b_base, b_at, b_len = mb[j]
        lo, hi = max(a_base, b_base), min(a_base + a_len, b_base + b_len)
        if lo < hi:
            out.append((lo, hi, a_at + lo - a_base, a_at + hi - a_base, b_at + lo - b_base, b_at + hi - b_base))
        if a_base + a_len < b_base + b_len:
            i += 1
        else:
            j += 1
    out.append((len(base), len(base), len(a), len(a), len(b), len(b)))
    return out


def _merge_groups(base: list[str], a: list[str], b: list[str]) -> list[tuple]:
    """diff3 over lines: ("unchanged" | "same" | "a" | "b", lines) or ("conflict", base, a, b)."""
    groups: list[tuple] = []
    z = ia = ib = 0
    for z_lo, z_hi, a_lo, a_hi, b_lo, b_hi in _sync_regions(base, a, b):
        was, in_a, in_b = base[z:z_lo], a[ia:a_lo], b[ib:b_lo]
        if was or in_a or in_b:
            if in_a == in_b:
                groups.append(("same", in_a))
            elif in_a == was:
                groups.append(("b", in_b))
            elif in_b == was:
                groups.append(("a", in_a))
            else:
                groups.append(("conflict", was, in_a, in_b))
        if z_hi > z_lo:
            groups.append(("unchanged", base[z_lo:z_hi]))
        z, ia, ib = z_hi, a_hi, b_hi
    return groups


def merge(base: str, theirs: str, yours: str) -> MergeResult:
    """Merge ``yours`` and ``theirs``, both edited from ``base``, line by line."""
    last_newline = (yours or theirs).endswith("\n") or not (yours or theirs)
    groups = _merge_groups(
        _ensure_newline(_lines(base)), _ensure_newline(_lines(yours)), _ensure_newline(_lines(theirs))
    )
    origin_of = {"unchanged": "unchanged", "same": "same", "a": "yours", "b": "theirs"}
    chunks: list[Chunk] = []
    for group in groups:
        if group[0] == "conflict":
            _, b, a, t = group
            chunks.append(Chunk(conflict=True, base="".join(b), yours="".join(a), theirs="".join(t),
                                origin="conflict"))
        elif group[1]:
            chunks.append(Chunk(text="".join(group[1]), origin=origin_of[group[0]]))  # type: ignore[arg-type]
    if not last_newline and chunks and not chunks[-1].conflict and chunks[-1].text.endswith("\n"):
        last = chunks[-1]
        chunks[-1] = Chunk(text=last.text[:-1], origin=last.origin)
    return MergeResult(_coalesce(chunks))


def _coalesce(chunks: list[Chunk]) -> list[Chunk]:
    """Adjacent settled runs of the same origin as one (fewer, larger pieces to show)."""
    out: list[Chunk] = []
    for c in chunks:
        if out and not c.conflict and not out[-1].conflict and out[-1].origin == c.origin:
            out[-1] = Chunk(text=out[-1].text + c.text, origin=c.origin)
        else:
            out.append(c)
    return out


def resolve(result: MergeResult, choices: list[Choice]) -> str:
    """The merged text with conflict ``i`` taken from ``choices[i]``; ``ValueError`` if they do not fit."""
    if len(choices) != result.conflicts:
        raise ValueError(f"有 {result.conflicts} 处冲突，却给了 {len(choices)} 个选择")
    picks = iter(choices)
    parts: list[str] = []
    for c in result.chunks:
        if not c.conflict:
            parts.append(c.text)
            continue
        choice = next(picks)
        if choice not in ("yours", "theirs"):
            raise ValueError(f"选择只能是 yours 或 theirs，不是 {choice!r}")
        parts.append(c.yours if choice == "yours" else c.theirs)
    return "".join(parts)
