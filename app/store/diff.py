"""Line-by-line unified diff of two document bodies, for showing what a version changed."""

from __future__ import annotations

import difflib


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # so a missing final newline does not glue two diff lines together
    return lines


def unified_diff(
    old: str, new: str, old_label: str = "old", new_label: str = "new", *, context: int = 3
) -> str:
    """The unified diff from ``old`` to ``new`` ("" when they are equal)."""
    return "".join(
        difflib.unified_diff(
            _lines(old), _lines(new), fromfile=old_label, tofile=new_label, n=context
        )
    )


# -- a diff to read: lines, and inside a changed line the characters that changed ----------------

#: Two lines are shown as one line edited (its changed characters marked) when at least this similar.
PAIR_RATIO = 0.3
#: An unchanged run this short between two changes is shown as changed: "保证明天到"→"承诺后天到"
#: reads better as one change than as 保证→承诺, 明→后 with a lone 天 kept between them.
MIN_KEPT_RUN = 2


def _parts(old: str, new: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The old and the new line cut into runs, each ``{"text", "changed"}``."""
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    # absorb short equal runs squeezed between changes
    merged: list[list[object]] = []
    for i, (tag, i1, i2, j1, j2) in enumerate(ops):
        between = 0 < i < len(ops) - 1
        if tag == "equal" and between and i2 - i1 < MIN_KEPT_RUN:
            tag = "replace"
        if merged and tag != "equal" and merged[-1][0] != "equal":
            merged[-1][2], merged[-1][4] = i2, j2
            merged[-1][0] = "replace"
        else:
            merged.append([tag, i1, i2, j1, j2])
    old_parts: list[dict[str, object]] = []
    new_parts: list[dict[str, object]] = []
    for tag, i1, i2, j1, j2 in merged:
        changed = tag != "equal"
        if i2 > i1:  # type: ignore[operator]
            old_parts.append({"text": old[i1:i2], "changed": changed})  # type: ignore[misc]
        if j2 > j1:  # type: ignore[operator]
            new_parts.append({"text": new[j1:j2], "changed": changed})  # type: ignore[misc]
    return old_parts, new_parts


def _whole(text: str) -> list[dict[str, object]]:
    return [{"text": text, "changed": True}] if text else []


def line_diff(old: str, new: str, *, context: int = 3) -> list[dict[str, object]]:
    """The diff from ``old`` to ``new`` as rows to show, with changed characters marked.

    Each row is ``{"op", "old", "new", "text", "parts"}``: ``op`` is ``equal``, ``delete``,
    ``insert`` or ``skip`` (that many unchanged lines not shown, in ``lines``); ``old`` and
    ``new`` are 1-based line numbers (``None`` on the side a line is not on); ``parts``
    cut a changed line into runs ``{"text", "changed"}``.  A line edited in place is a
    ``delete`` and an ``insert`` whose parts mark just the characters that changed.
    Equal bodies give ``[]``.
    """
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    rows: list[dict[str, object]] = []
    shown_to = 0  # old lines before this index are shown or skipped
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if group[0][1] > shown_to:
            rows.append({"op": "skip", "lines": group[0][1] - shown_to})
        for tag, i1, i2, j1, j2 in group:
            shown_to = i2
            if tag == "equal":
                rows.extend({"op": "equal", "old": i1 + k + 1, "new": j1 + k + 1, "text": a[i1 + k]}
                            for k in range(i2 - i1))
                continue
            deletes: list[dict[str, object]] = []
            inserts: list[dict[str, object]] = []
            for k in range(max(i2 - i1, j2 - j1)):
                o = a[i1 + k] if i1 + k < i2 else None
                n = b[j1 + k] if j1 + k < j2 else None
                if o is not None and n is not None and difflib.SequenceMatcher(None, o, n).ratio() >= PAIR_RATIO:
                    old_parts, new_parts = _parts(o, n)
                else:
                    old_parts, new_parts = _whole(o or ""), _whole(n or "")
                if o is not None:
                    deletes.append({"op": "delete", "old": i1 + k + 1, "new": None, "text": o, "parts": old_parts})
                if n is not None:
                    inserts.append({"op": "insert", "old": None, "new": j1 + k + 1, "text": n, "parts": new_parts})
            rows.extend(deletes + inserts)
    if len(a) > shown_to:
        rows.append({"op": "skip", "lines": len(a) - shown_to})
    return rows
