"""Negation cues: the one definition of what negates a word, and of the A-not-A question.

"不是色差，是发错了" negates 色差; "是不是正品" and "能不能保证" only ask — the A-not-A
question (A 不 A, A 没 A) is no negation.  The matcher rules an intent's keyword out
after a negation, and the guard does not let 不能 inside 能不能 cancel a promise.
"""

from __future__ import annotations

#: The characters that negate, and that make an A-not-A question (能不能, 有没有).
NEGATION_CHARS = "不没"

#: Negations that cancel a keyword right after them: "不是色差，是发错了".
NEGATORS = ("不是", "不算", "并非", "并不是", "也不是", "不存在", "没什么", "没有什么", "非")


def is_a_not_a(text: str, i: int) -> bool:
    """Is ``text[i]`` the 不/没 of an A-not-A question (是不是, 有没有)?"""
    return text[i] in NEGATION_CHARS and 0 < i < len(text) - 1 and text[i - 1] == text[i + 1]


def negated(text: str, start: int) -> bool:
    """Does a negation end right before ``start``?  "是不是正品" asks; it does not negate."""
    for neg in NEGATORS:
        if text.endswith(neg, 0, start) and not is_a_not_a(text, start - len(neg)):
            return True
    return False
