"""The unified diff helper."""

from __future__ import annotations

from app.store.diff import unified_diff


def test_diff_marks_changed_lines_with_labels() -> None:
    diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "v1", "v2")
    assert diff.splitlines() == ["--- v1", "+++ v2", "@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]


def test_missing_final_newline_does_not_glue_lines() -> None:
    diff = unified_diff("a\nb", "a\nb\nc")
    assert diff.splitlines()[-2:] == [" b", "+c"]


def test_equal_bodies_give_no_diff() -> None:
    assert unified_diff("同一\n", "同一\n") == ""
