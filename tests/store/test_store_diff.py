"""The unified diff helper."""

from __future__ import annotations

from app.store.diff import line_diff, unified_diff


def test_diff_marks_changed_lines_with_labels() -> None:
    diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "v1", "v2")
    assert diff.splitlines() == ["--- v1", "+++ v2", "@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]


def test_missing_final_newline_does_not_glue_lines() -> None:
    diff = unified_diff("a\nb", "a\nb\nc")
    assert diff.splitlines()[-2:] == [" b", "+c"]


def test_equal_bodies_give_no_diff() -> None:
    assert unified_diff("同一\n", "同一\n") == ""


def changed(parts) -> list[str]:
    return [p["text"] for p in parts if p["changed"]]


def test_one_changed_word_in_a_long_chinese_line_is_marked_alone() -> None:
    old = "亲，您好，非常理解您的心情，我这边马上帮您联系快递核实签收情况，请您稍等片刻哦。\n"
    new = old.replace("马上", "尽快")
    rows = line_diff(old, new)
    assert [r["op"] for r in rows] == ["delete", "insert"]
    assert changed(rows[0]["parts"]) == ["马上"] and changed(rows[1]["parts"]) == ["尽快"]
    assert "".join(p["text"] for p in rows[1]["parts"]) == new.rstrip("\n")
    assert (rows[0]["old"], rows[1]["new"]) == (1, 1)


def test_a_lone_kept_character_between_two_changes_is_part_of_the_change() -> None:
    rows = line_diff("保证明天到\n", "承诺后天到\n")
    assert changed(rows[0]["parts"]) == ["保证明"] and changed(rows[1]["parts"]) == ["承诺后"]


def test_unrelated_lines_are_shown_whole_and_far_context_is_skipped() -> None:
    old = "".join(f"第{i}行\n" for i in range(1, 21))
    new = old.replace("第10行\n", "完全不同的一句话，没有一个字相同\n")
    rows = line_diff(old, new)
    assert rows[0] == {"op": "skip", "lines": 6}
    assert rows[-1] == {"op": "skip", "lines": 7}
    delete, insert = (r for r in rows if r["op"] in ("delete", "insert"))
    assert changed(delete["parts"]) == ["第10行"] and changed(insert["parts"]) == ["完全不同的一句话，没有一个字相同"]
    assert sum(r["op"] == "equal" for r in rows) == 6


def test_added_lines_and_equal_bodies() -> None:
    rows = line_diff("a\n", "a\nb\n")
    assert rows == [{"op": "equal", "old": 1, "new": 1, "text": "a"},
                    {"op": "insert", "old": None, "new": 2, "text": "b", "parts": [{"text": "b", "changed": True}]}]
    assert line_diff("同一\n", "同一") == []
