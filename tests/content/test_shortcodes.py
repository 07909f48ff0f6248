"""Template short codes (``shortcode:`` in the front matter): every bundled template has one, no two share one."""

from __future__ import annotations

import dataclasses

import pytest

from app import PROJECT_ROOT
from app.content.files import load_content, parse_template
from app.editing.lint import lint_pack
from app.guard.guard import Guard


@pytest.fixture(scope="module")
def pack():
    pack, problems = load_content(PROJECT_ROOT / "intents", PROJECT_ROOT / "templates" / "replies")
    assert problems == []
    return pack


def test_every_bundled_template_has_its_own_short_code(pack):
    codes = [t.shortcode for t in pack.templates.values()]
    assert None not in codes
    assert len(set(codes)) == len(codes)
    # pinyin initials of the intent's label and a number: 色差 → sc1
    assert pack.templates["color_difference/standard"].shortcode == "sc1"
    assert pack.templates["return_refund/standard"].shortcode == "thtk1"


def test_lint_names_both_templates_that_share_a_short_code(pack):
    templates = dict(pack.templates)
    templates["color_difference/short"] = templates["color_difference/short"].model_copy(update={"shortcode": "SC1"})
    problems = lint_pack(dataclasses.replace(pack, templates=templates), Guard([]))
    dupes = [p for p in problems if "简码" in p.message]
    assert len(dupes) == 1
    assert "color_difference/short" in dupes[0].message and "color_difference/standard" in dupes[0].message
    assert "sc1" in dupes[0].message.casefold()  # SC1 and sc1 are one code
    assert dupes[0].path.endswith(("color_difference/short.j2", "color_difference/standard.j2"))


SOURCE = """---
id: thanks/extra
intent: thanks
title: 致谢·加一
shortcode: {code}
variables: []
---
亲，感谢您的支持，祝您生活愉快。
"""


@pytest.mark.parametrize("code", ["有 空格", "sc-1", "a" * 17, "''"])
def test_a_short_code_is_letters_digits_or_chinese(code):
    tpl, problems = parse_template(SOURCE.format(code=code))
    assert tpl is None
    assert problems and problems[0].line == 5 and "shortcode" in problems[0].message


def test_a_short_code_may_be_chinese_or_a_number():
    tpl, problems = parse_template(SOURCE.format(code="色差2"))
    assert problems == [] and tpl.shortcode == "色差2"
    # a number in YAML is a short code too
    numeric, problems = parse_template(SOURCE.format(code="12"))
    assert problems == [] and numeric.shortcode == "12"
