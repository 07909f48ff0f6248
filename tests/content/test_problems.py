"""Every error an editor can cause is in Chinese, at the line to look at, with a hint.

An editor (a shop's 客服主管) knows no YAML, Jinja or regular expressions: PyYAML's
"while scanning a simple key", ``re``'s "missing ), unterminated subpattern" and
pydantic's "Field required" must never reach them.
"""

from __future__ import annotations

import re

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from app.content.files import parse_intent, parse_template, read_yaml
from app.content.problems import Problem, field_errors, regex_message, yaml_problem
from app.guard.rules import parse_rule
from app.rendering.renderer import Renderer

#: Words of the parsers' own messages; none may appear in what an editor reads.
ENGLISH = re.compile(
    r"while|scanning|mapping|expected|found|token|unterminated|missing|subpattern|repeat|escape|"
    r"Field required|Input should|Extra inputs|template|Jinja|Encountered|unexpected|<unicode string>|YAML",
    re.I,
)
CHINESE = re.compile(r"[\u4e00-\u9fff]")

INTENT = """\
id: color_difference
label: 色差
category: 商品问题
examples:
  - 颜色和图片不一样
  - 色差太大了
"""


def chinese_only(p: Problem) -> None:
    assert CHINESE.search(p.message), p
    assert not ENGLISH.search(p.text), p.text


# ----------------------------------------------------------------------------- YAML


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        # a colon inside a value
        (INTENT.replace("label: 色差", "label: 注意: 色差"), 2, "冒号", "含冒号的文字请用引号括起来"),
        # a list item with a colon in it
        (INTENT.replace("  - 色差太大了", "  - 问题: 色差: 太大"), 6, "冒号", "引号"),
        # no space after the colon
        (INTENT.replace("label: 色差", "label:色差"), 2, "冒号后面缺少空格", "冒号后面要有空格"),
        # a full-width colon
        (INTENT.replace("label: 色差", "label：色差"), 2, "中文冒号", "英文半角冒号"),
        # a key indented under a plain value
        (INTENT.replace("category: 商品问题", "  category: 商品问题"), 3, "缩进", "对齐"),
        # a list item less indented than the first one
        (INTENT.replace("  - 色差太大了", " - 色差太大了"), 6, "缩进", "对齐"),
        # a line inside a list without its dash
        (INTENT.replace("  - 色差太大了", "  色差太大了: 是"), 6, "「- 」", "「- 」开头"),
        # an unclosed double quote: the line it opens on
        (INTENT.replace("label: 色差", 'label: "色差'), 2, "引号没有配对", "成对"),
        # an unclosed single quote
        (INTENT.replace("  - 颜色和图片不一样", "  - '颜色和图片不一样"), 5, "引号没有配对", "成对"),
        # an unclosed bracket at the end of the file
        (INTENT.replace("examples:\n  - 颜色和图片不一样\n  - 色差太大了\n", "examples: [颜色和图片不一样, 色差\n"), 4,
         "方括号「[」没有配对的「]」", "方括号"),
        # an unclosed bracket followed by more lines
        (INTENT.replace("label: 色差", "label: [色差"), 2, "方括号「[」没有配对的「]」", "方括号"),
        # an unclosed brace
        (INTENT.replace("label: 色差", "label: {色差"), 2, "花括号「{」没有配对的「}」", "引号"),
        # a tab used for indentation
        (INTENT.replace("  - 色差太大了", "\t- 色差太大了"), 6, "Tab", "空格"),
        # a value that starts with a character YAML reserves
        (INTENT.replace("label: 色差", "label: @色差"), 2, "「@」", "引号"),
        (INTENT.replace("label: 色差", "label: *色差"), 2, "「*」", "引号"),
        # a quoted value followed by more text
        (INTENT.replace("label: 色差", 'label: "色差" 问题'), 2, "引号后面还有文字", "引号"),
        # a line that is only text
        (INTENT.replace("category: 商品问题", "商品问题"), 3, "缺少冒号", "名称: 内容"),
        # a second document marker
        (INTENT + "---\nid: other\n", 7, "---", "删掉"),
    ],
)
def test_each_yaml_error_is_chinese_at_its_line_with_a_hint(text, line, message, hint):
    obj, problems = parse_intent(text, "intents/color_difference.yaml")
    assert obj is None
    [p] = problems
    assert (p.path, p.line) == ("intents/color_difference.yaml", line), p
    assert message in p.message and hint in (p.hint or ""), p
    chinese_only(p)
    assert str(p) == f"intents/color_difference.yaml:{line}: {p.message}（提示：{p.hint}）"


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)])
def test_both_yaml_parsers_read_the_same(loader):
    """PyYAML's pure-Python parser words its errors differently from libyaml's: same answer."""
    text = INTENT.replace("label: 色差", "label: 注意: 色差")
    with pytest.raises(yaml.YAMLError) as e:
        loader(text).get_single_node()
    p = yaml_problem(e.value, text, "x.yaml")
    assert (p.line, p.message) == (2, "这一行的文字里有冒号「:」，被当成了新的名称")


def test_an_unknown_yaml_error_is_a_chinese_sentence_with_its_line():
    class Odd(yaml.MarkedYAMLError):
        pass

    mark = yaml.Mark("x", 0, 4, 0, None, None)
    p = yaml_problem(Odd("while doing something new", mark, "something nobody has seen", mark), "a\nb\nc\nd\ne\n", "x.yaml")
    assert p.line == 5 and p.hint
    chinese_only(p)


def test_a_key_written_twice_is_a_problem_at_the_second():
    text = INTENT + "examples:\n  - 和图片不一样\n"
    obj, [p] = parse_intent(text, "x.yaml")
    assert obj is None
    assert (p.line, p.message) == (7, "「examples」写了两次（第 4 行和第 7 行）")
    assert "合并" in p.hint


def test_template_front_matter_errors_count_lines_of_the_file():
    text = "---\nid: thanks/short\nintent: thanks\ntitle: 注意: 致谢\n---\n亲，不客气～\n"
    tpl, [p] = parse_template(text, "templates/replies/thanks/short.j2")
    assert tpl is None and p.line == 4 and "冒号" in p.message
    chinese_only(p)


def test_a_jinja_placeholder_in_the_front_matter_says_to_quote_it():
    text = "---\nid: thanks/short\nintent: thanks\ntitle: {{ buyer_name }}\n---\n亲，不客气～\n"
    tpl, [p] = parse_template(text, "t.j2")
    assert (tpl, p.line, p.message) == (None, 4, "这一行的「{{ }}」被当成了括号") and "引号" in p.hint


def test_a_character_yaml_cannot_read_is_named_at_its_line():
    doc = read_yaml("id: x\nlabel: 色\x07差\n", "x.yaml")
    [p] = doc.problems
    assert p.line == 2 and "特殊字符" in p.message
    chinese_only(p)


# ----------------------------------------------------------------------------- regular expressions


@pytest.mark.parametrize(
    ("pattern", "kind", "where"),
    [
        ("保证(明天", "括号不配对", "第 3 个字符「(」"),
        ("明天)到", "括号不配对", "第 3 个字符「)」"),
        ("[顺丰中通", "方括号不配对", "第 1 个字符「[」"),
        ("*保证", "重复符号位置不对", "第 1 个字符「*」"),
        ("保证**", "重复符号位置不对", "第 4 个字符「*」"),
        ("保证\\q", "无效的转义", "第 3 个字符「\\q」"),
        ("[9-0]天", "字符范围写反了", "9-0"),
        ("到{3,1}", "重复次数写反了", ""),
        ("(?<=a+)到", "长度必须固定", ""),
        ("(?P<1a>到)", "分组名称不对", ""),
        ("保证\\", "无效的转义", ""),
    ],
)
def test_each_regex_error_is_chinese_with_its_position(pattern, kind, where):
    with pytest.raises(re.error) as e:
        re.compile(pattern)
    message, hint = regex_message(e.value, pattern)
    assert kind in message and where in message, message
    assert CHINESE.search(message) and not ENGLISH.search(message + (hint or "")), (message, hint)


def test_a_bad_pattern_in_a_rule_names_the_file_line_and_the_character():
    text = """\
id: test_rule
severity: warn
title: 测试规则
message: 测试用
phrases: [测试词]
patterns:
  - 明天到
  - '保证(明天'
"""
    rule, [p] = parse_rule(text, "rules/test_rule.yaml")
    assert rule is None and p.line == 8
    assert p.message == "「patterns 第 2 条」不是有效的正则表达式：括号不配对：第 3 个字符「(」没有对应的「)」"
    assert "\\(" in p.hint
    chinese_only(p)


# ----------------------------------------------------------------------------- Jinja


@pytest.mark.parametrize(
    ("body", "line", "message", "hint"),
    [
        ("亲，您的订单\n{{ order_id 已发货\n谢谢", 2, "「{{」没有配对的「}}」", "{{ 变量名 }}"),
        ("亲\n{% if order_id %}\n已发货", 2, "「{% if %}」没有结束：缺少「{% endif %}」", "endif"),
        ("{% for x in items %}\n{{ x }}", 1, "「{% for %}」没有结束：缺少「{% endfor %}」", "endfor"),
        ("亲\n{% if order_id\n好的 {% endif %}", 2, "「{%」没有配对的「%}」", "%}"),
        ("亲\n{% foo %}", 2, "不认识的写法「{% foo %}」", "{% if 条件 %}"),
        ("亲{% endif %}", 1, "多余的「{% endif %}」", "删掉"),
        ("{% if a %}x{% endfor %}", 1, "「{% endif %}」", "先结束"),
        ("亲\n{# 备注", 2, "注释「{#」没有配对的「#}」", "{# 说明 #}"),
        ("亲 {{ }}", 1, "少了内容", "{{ order_id }}"),
        ("亲 {{ 'abc }}", 1, "引号没有配对", "引号"),
    ],
)
def test_each_jinja_error_is_chinese_at_its_line_with_a_hint(body, line, message, hint):
    [p] = Renderer().problems(body)
    assert p.line == line and message in p.message and hint in (p.hint or ""), (p.line, p.message, p.hint)
    assert CHINESE.search(p.message) and not ENGLISH.search(p.message + (p.hint or "")), p.message


def test_an_unknown_filter_is_chinese():
    [p] = Renderer().problems("亲 {{ buyer_name|shout }}")
    assert "过滤器 shout" in p.message and not ENGLISH.search(p.message)


# ----------------------------------------------------------------------------- validation


class _Box(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    examples: list[str]
    severity: str = "warn"


def _errors(model, data):
    with pytest.raises(ValidationError) as e:
        model.model_validate(data)
    return field_errors(e.value.errors(), model=model)


def test_missing_wrong_type_and_an_extra_key_with_a_did_you_mean():
    errors = {e.field: e for e in _errors(_Box, {"lable": "色差", "examples": "颜色不对"})}
    assert errors["label"].message == "缺少「label」"
    assert errors["examples"].message == "「examples」应为列表" and "「- 」" in errors["examples"].hint
    assert errors["lable"].message == "不认识的字段「lable」（是不是「label」？）"
    assert errors["lable"].bare == "不认识的字段（是不是「label」？）"


def test_an_extra_key_far_from_any_field_lists_the_fields():
    [e] = _errors(_Box, {"label": "色差", "examples": ["a"], "颜色": "红"})
    assert e.message == "不认识的字段「颜色」" and e.hint == "这里可用的字段：examples、label、severity"


def test_literal_choices_and_lengths_in_the_intent_file():
    text = INTENT.replace("category: 商品问题", "category: 商品问题\npriority: urgent").replace(
        "label: 色差", "label: " + "色" * 41)
    obj, problems = parse_intent(text, "x.yaml")
    by_line = {p.line: p for p in problems}
    assert obj is None
    assert by_line[4].message == "「priority」只能是 high、medium 或 low"
    assert by_line[2].message == "「label」太长：最多 40 个字符（现在 41 个）"
    for p in problems:
        chinese_only(p)


def test_a_mistyped_intent_field_is_named_at_its_line_with_a_did_you_mean():
    obj, problems = parse_intent(INTENT.replace("label:", "lable:"), "x.yaml")
    assert obj is None
    assert [(p.line, p.message) for p in problems] == [(1, "缺少「label」"), (2, "不认识的字段「lable」（是不是「label」？）")]


def test_a_number_where_text_is_expected_says_to_quote_it():
    obj, [p] = parse_intent(INTENT.replace("label: 色差", "label: 123"), "x.yaml")
    assert (p.line, p.message) == (2, "「label」应为文字") and "引号" in p.hint


def test_a_nested_error_names_where_it_is():
    text = """\
id: test_rule
severity: warn
title: 测试规则
message: 测试用
phrases: [测试词]
examples:
  flag:
    - text: 这里有测试词
      severty: warn
"""
    rule, [p] = parse_rule(text, "r.yaml")
    assert rule is None and p.line == 9
    assert p.message == "「examples.flag 第 1 条」里不认识的字段「severty」（是不是「severity」？）"


def test_the_same_translator_words_the_http_422s(client):
    r = client.post("/v1/suggest", json={"message": "在吗", "top_k": "many", "shop": {"carrier": ["申通"]}})
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors == {"top_k": "应为整数", "shop.carrier": "不认识的字段（是不是「carriers」？）"}
    assert not ENGLISH.search(r.json()["detail"])


def test_a_render_that_fails_in_python_is_chinese_at_its_line():
    from app.rendering.renderer import RenderError

    with pytest.raises(RenderError) as e:
        Renderer().render("亲\n{% if amount > 100 %}满减{% endif %}", {"amount": "一百"})
    assert e.value.line == 2 and e.value.message == "比较的两个值类型不同（例如文字和数字）"
    assert "|int" in e.value.hint and not ENGLISH.search(e.value.message)
