"""The three-way merge of base / theirs / yours (line-based diff3)."""

from __future__ import annotations

import pytest

from app.editing.merge import merge, resolve

BASE = "---\nid: thanks/short\ntitle: 致谢\n---\n第一句。\n第二句。\n第三句。\n"


def test_changes_to_different_lines_merge_by_themselves() -> None:
    theirs = BASE.replace("title: 致谢", "title: 致谢·简短")
    yours = BASE.replace("第三句。", "第三句，改过。")
    result = merge(BASE, theirs, yours)
    assert result.clean and result.conflicts == 0
    assert result.text == "---\nid: thanks/short\ntitle: 致谢·简短\n---\n第一句。\n第二句。\n第三句，改过。\n"


def test_the_same_change_on_both_sides_is_taken_once() -> None:
    both = BASE.replace("第二句。", "第二句！")
    assert merge(BASE, both, both).text == both


def test_both_changing_one_line_is_a_conflict_to_choose() -> None:
    theirs = BASE.replace("第二句。", "对方的第二句。")
    yours = BASE.replace("第二句。", "我的第二句。")
    result = merge(BASE, theirs, yours)
    assert result.text is None and result.conflicts == 1
    conflict = next(c for c in result.chunks if c.conflict)
    assert (conflict.base, conflict.theirs, conflict.yours) == ("第二句。\n", "对方的第二句。\n", "我的第二句。\n")
    assert resolve(result, ["yours"]) == yours
    assert resolve(result, ["theirs"]) == theirs
    with pytest.raises(ValueError):
        resolve(result, [])
    with pytest.raises(ValueError):
        resolve(result, ["mine"])  # type: ignore[list-item]


def test_two_conflicts_resolved_each_their_own_way() -> None:
    theirs = BASE.replace("第一句。", "T1").replace("第三句。", "T3")
    yours = BASE.replace("第一句。", "Y1").replace("第三句。", "Y3")
    result = merge(BASE, theirs, yours)
    assert result.conflicts == 2
    assert resolve(result, ["theirs", "yours"]) == BASE.replace("第一句。", "T1").replace("第三句。", "Y3")


def test_a_missing_final_newline_is_no_conflict() -> None:
    theirs = BASE.replace("第一句。", "第一句！")
    yours = BASE.rstrip("\n")  # the editor dropped the last newline, nothing else
    result = merge(BASE, theirs, yours)
    assert result.clean
    assert result.text == theirs.rstrip("\n")


def test_merged_pieces_say_where_they_come_from() -> None:
    theirs = BASE.replace("第一句。", "对方改的第一句。")
    yours = BASE.replace("第三句。", "我改的第三句。")
    origins = {c.origin for c in merge(BASE, theirs, yours).chunks}
    assert origins == {"unchanged", "theirs", "yours"}


def test_a_line_added_on_one_side_and_one_removed_on_the_other_both_land() -> None:
    theirs = "新开头。\n" + BASE  # a line added before everything
    yours = BASE.replace("第二句。\n", "")  # a line removed further down
    result = merge(BASE, theirs, yours)
    assert result.clean
    assert result.text == "新开头。\n" + BASE.replace("第二句。\n", "")


def test_an_insertion_next_to_the_other_sides_change_is_a_conflict() -> None:
    # both touched the same place (after 第一句): diff3 cannot know the order, so the editor chooses
    theirs = BASE.replace("第一句。\n", "第一句。\n对方加的。\n")
    yours = BASE.replace("第一句。\n", "第一句。\n我加的。\n")
    result = merge(BASE, theirs, yours)
    assert result.conflicts == 1
    assert resolve(result, ["yours"]) == yours
