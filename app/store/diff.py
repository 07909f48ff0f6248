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
