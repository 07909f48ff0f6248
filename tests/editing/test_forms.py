"""Form views: a document's source read into form fields and written back, keeping what the form does not show."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.content.files import parse_intent, parse_template, parse_variables
from app.editing.forms import FIELDS, read_form, write_form
from app.guard.rules import parse_rule
from app.text.lexicon import CourierLexicon, parse_domain_words

ROOT = Path(__file__).resolve().parents[2]


def edit(kind, source, **changes):
    read = read_form(kind, source)
    assert read.problems == []
    fields = {**read.fields, **changes}
    written = write_form(kind, source, FIELDS[kind].model_validate(fields))
    assert written.problems == []
    return written.source


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    a, b = before.splitlines(), after.splitlines()
    return [x for x in a if x not in b], [x for x in b if x not in a]


INTENT = """# 买家要取消订单
id: cancel_order
label: 取消订单
category: 售后
priority: medium
standalone: false   # 不在表单里的键
examples:
  - 取消订单
  # 拍错的说法
  - 拍错了 取消一下
  - 别发了
keywords: [取消]
"""


def test_every_bundled_document_reads_and_an_untouched_form_writes_the_same_text():
    for pattern, kind in (("intents/*.yaml", "intent"), ("rules/*.yaml", "rule"), ("templates/replies/**/*.j2", "template")):
        paths = sorted(ROOT.glob(pattern))
        assert paths
        for path in paths:
            source = path.read_text(encoding="utf-8")
            read = read_form(kind, source)
            assert read.problems == [], path
            assert write_form(kind, source, FIELDS[kind].model_validate(read.fields)).source == source, path


def test_intent_fields_and_an_edit_keeps_comments_unknown_keys_and_order():
    read = read_form("intent", INTENT)
    assert read.fields["label"] == "取消订单"
    assert read.fields["examples"] == ["取消订单", "拍错了 取消一下", "别发了"]
    assert read.fields["keywords"] == ["取消"]

    out = edit("intent", INTENT, label="取消订单（未发货）",
               examples=["取消订单", "拍错了 取消一下", "不想要了 帮我取消"], keywords=["取消", "撤单"])
    assert out.startswith("# 买家要取消订单\nid: cancel_order\nlabel: 取消订单（未发货）\n")
    assert "standalone: false   # 不在表单里的键" in out
    assert "  # 拍错的说法\n  - 拍错了 取消一下\n" in out
    assert "  - 不想要了 帮我取消\n" in out and "别发了" not in out
    assert "keywords: [取消, 撤单]" in out
    intent, problems = parse_intent(out)
    assert problems == [] and intent.examples[-1] == "不想要了 帮我取消"


def test_a_new_description_goes_after_priority():
    out = edit("intent", INTENT, description="发货前取消")
    lines = out.splitlines()
    assert lines[lines.index("priority: medium") + 1] == "description: 发货前取消"


def test_template_fields_and_edit_keep_the_front_matter_comments():
    source = "---\nid: thanks/warm\nintent: thanks\n# 标题给客服看\ntitle: 感谢·热情\ntags: [标准]\nvariables: []\npinned: true\n---\n亲，谢谢您！\n"
    read = read_form("template", source)
    assert read.fields == {"id": "thanks/warm", "title": "感谢·热情", "intent": "thanks", "tags": ["标准"],
                           "shortcode": "", "variables": [], "body": "亲，谢谢您！"}
    out = edit("template", source, title="感谢·更热情", shortcode="xx1", variables=["buyer_name"],
               body="亲爱的{{ buyer_name }}，谢谢您！")
    assert "# 标题给客服看\ntitle: 感谢·更热情\n" in out
    assert "pinned: true\n" in out and "variables: [buyer_name]" in out
    assert out.endswith("---\n亲爱的{{ buyer_name }}，谢谢您！\n")
    tpl, problems = parse_template(out)
    assert problems == [] and tpl.shortcode == "xx1" and tpl.variables == ["buyer_name"]
    # a short code cleared in the form leaves the file
    assert "shortcode" not in edit("template", out, shortcode="")


def test_rule_form_edits_keep_its_many_comments_and_the_examples_with_settings():
    source = (ROOT / "rules/delivery_guarantee.yaml").read_text(encoding="utf-8")
    read = read_form("rule", source)
    f = read.fields
    assert f["severity"] == "warn" and f["enabled"] is True
    flag = f["examples"]["flag"]
    assert flag[0] == {"text": "亲，已经加急了，保证明天到", "data": {"text": "亲，已经加急了，保证明天到", "excerpt": "保证明天到"}}
    assert {"text": "今晚之前师傅会送货上门的哦", "data": None} in flag
    assert [d["name"] for d in f["define"]][:2] == ["firm", "time"]

    new_flag = [*flag[1:], {"text": "保证下周一到", "data": None}]  # drop the first, add one
    out = edit("rule", source, message="到货时间看快递，不能保证", examples={"flag": new_flag, "pass": f["examples"]["pass"]},
               exceptions=[*f["exceptions"], "到货了"])
    removed, added = changed_lines(source, out)
    assert added == ["message: 到货时间看快递，不能保证", "  - 到货了", "    - 保证下周一到"]
    assert removed == ["message: 到货时间取决于快递，不可保证", "    - text: 亲，已经加急了，保证明天到", "      excerpt: 保证明天到"]
    assert "  # \"包\"只在紧跟着日子时算（包明天到），\"红包\"\"包邮\"里的不算\n" in out
    assert "    # 不说\"保证\"，直接说哪天到，也是承诺\n" in out
    rule, problems = parse_rule(out)
    assert problems == [] and rule.message == "到货时间看快递，不能保证"


def test_rule_enabled_severity_and_a_removed_definition():
    source = "id: r\nseverity: warn\ntitle: 测试\nmessage: 原因\ndefine:\n  a: 'x'  # 片段 a\n  b: 'y'\npatterns: ['{a}{b}']\n"
    out = edit("rule", source, enabled=False, severity="block", define=[{"name": "a", "pattern": "x"}], patterns=["{a}"])
    assert "enabled: false" in out and "severity: block" in out
    assert "  a: 'x'  # 片段 a\n" in out and "b:" not in out
    assert out.index("enabled") < out.index("define")


def test_bad_yaml_is_a_chinese_problem_with_its_line():
    read = read_form("intent", "id: x\nlabel: 取消\nexamples:\n  - 好的: 谢谢: 再见\n  - 'oops\n")
    assert read.fields is None
    [p] = read.problems
    assert p["line"] == 4 and "冒号" in p["message"], p
    assert "mapping" not in p["message"] and "scanning" not in p["message"]  # never the parser's English

    tab = read_form("rule", "id: x\nphrases:\n\t- a\n")
    assert tab.problems[0]["line"] == 3 and "Tab" in tab.problems[0]["message"]

    no_front = read_form("template", "亲，您好")
    assert no_front.problems[0]["line"] == 1 and "---" in no_front.problems[0]["message"]
    meta = read_form("template", "---\nid: a/b\ntitle: [未闭合\n---\n正文\n")
    assert meta.problems[0]["line"] >= 3 and meta.fields is None

    written = write_form("intent", "id: [", FIELDS["intent"]())
    assert written.source is None and written.problems[0]["line"] == 1


def test_a_list_instead_of_a_mapping_is_a_problem_not_an_error():
    read = read_form("intent", "- 取消订单\n- 别发了\n")
    assert read.fields is None and "名称: 内容" in read.problems[0]["message"]


def test_editing_the_text_of_an_example_with_settings_keeps_its_settings():
    source = "id: r\nexamples:\n  flag:\n    - text: 保证明天到哦\n      excerpt: 保证明天到\n      severity: warn\n    - 普通的一句\n"
    fields = read_form("rule", source).fields
    first = fields["examples"]["flag"][0]
    assert first["data"] == {"text": "保证明天到哦", "excerpt": "保证明天到", "severity": "warn"}
    first["text"] = "亲，保证明天到哦"
    out = write_form("rule", source, FIELDS["rule"].model_validate(fields)).source
    assert out == source.replace("- text: 保证明天到哦", "- text: 亲，保证明天到哦")


# ----------------------------------------------------------------------------- 词库: couriers, domain words, variables

WORD_LISTS = (("couriers", "lexicon/couriers.yaml"), ("domain", "lexicon/domain.txt"), ("variables", "templates/variables.yaml"))


def bundled(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def test_the_bundled_word_lists_read_and_an_untouched_form_writes_them_byte_for_byte():
    for kind, path in WORD_LISTS:
        source = bundled(path)
        read = read_form(kind, source)
        assert read.problems == [], path
        assert write_form(kind, source, FIELDS[kind].model_validate(read.fields)).source == source, path


def test_courier_rows_and_an_added_alias_changes_only_its_line():
    source = bundled("lexicon/couriers.yaml")
    fields = read_form("couriers", source).fields
    sf = fields["couriers"][0]
    assert sf == {"name": "顺丰", "aliases": ["顺丰速运", "顺丰快递", "顺丰速递", "顺丰包邮", "sf", "sf快递", "sf速运", "顺风快递"],
                  "tracking_prefixes": ["sf"], "at": 0}
    sf["aliases"].append("丰哥快递")
    out = edit("couriers", source, couriers=fields["couriers"])
    removed, added = changed_lines(source, out)
    assert removed == ["    aliases: [顺丰速运, 顺丰快递, 顺丰速递, 顺丰包邮, sf, sf快递, sf速运, 顺风快递]"]
    assert added == ["    aliases: [顺丰速运, 顺丰快递, 顺丰速递, 顺丰包邮, sf, sf快递, sf速运, 顺风快递, 丰哥快递]"]
    assert out.startswith("# Couriers and the ways buyers and agents write them.")
    assert CourierLexicon.from_text(out).canonical("丰哥快递") == "顺丰"


def test_couriers_added_removed_renamed_and_a_prefix_given():
    source = "# 快递\ncouriers:\n  - name: 顺丰  # 最常用\n    aliases: [sf]\n    tracking_prefixes: [sf]\n  - name: 天天\n    aliases: [天天快递]\n  - name: 百世\n    aliases: [汇通]\n"
    rows = read_form("couriers", source).fields["couriers"]
    rows[2]["tracking_prefixes"] = ["ht"]
    rows[2]["name"] = "百世快递"
    del rows[1]
    rows.append({"name": "安能", "aliases": ["安能物流"], "tracking_prefixes": [], "at": None})
    rows.append({"name": "", "aliases": [], "tracking_prefixes": [], "at": None})  # added, never filled in: left out
    out = edit("couriers", source, couriers=rows)
    assert out == ("# 快递\ncouriers:\n  - name: 顺丰  # 最常用\n    aliases: [sf]\n    tracking_prefixes: [sf]\n"
                   "  - name: 百世快递\n    aliases: [汇通]\n    tracking_prefixes: [ht]\n"
                   "  - name: 安能\n    aliases: [安能物流]\n")
    lexicon = CourierLexicon.from_text(out)
    assert lexicon.names == ["顺丰", "百世快递", "安能"] and lexicon.of_tracking_number("HT123456") == "百世快递"


def test_domain_words_edit_changes_only_their_lines_and_keeps_frequencies_and_comments():
    source = "# 行业词\n色差 2000 n\n漏发 3000 v\n\n# 物流\n驿站 2000 n\n"
    assert read_form("domain", source).fields == {"words": ["色差", "漏发", "驿站"]}
    out = edit("domain", source, words=["色差", "漏发了", "驿站", "菜鸟驿站"])
    assert out == "# 行业词\n色差 2000 n\n漏发了 3000 v\n\n# 物流\n驿站 2000 n\n菜鸟驿站 2000\n"
    assert parse_domain_words(out) == {"色差": 2000, "漏发了": 3000, "驿站": 2000, "菜鸟驿站": 2000}
    # a removed word takes its line, nothing else; a word added first goes before the first word
    assert edit("domain", source, words=["运费险", "色差", "驿站"]) == "# 行业词\n运费险 2000\n色差 2000 n\n\n# 物流\n驿站 2000 n\n"
    assert edit("domain", "", words=["运费险"]) == "运费险 2000\n"
    assert edit("domain", "色差", words=["色差", "少件"]) == "色差\n少件 2000\n"  # no newline at the end


def test_a_domain_word_with_a_space_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as e:
        FIELDS["domain"].model_validate({"words": ["色差", "运费 险"]})
    assert e.value.errors()[0]["loc"] == ("words", 1)


def test_variables_rows_edit_keeps_quotes_and_comments_and_adds_a_variable():
    source = bundled("templates/variables.yaml")
    rows = read_form("variables", source).fields["variables"]
    order = next(v for v in rows if v["name"] == "order_id")
    assert order == {"name": "order_id", "label": "订单号", "sample": "3312456789012345678", "description": "", "at": 1}
    order["label"] = "订单编号"
    rows.append({"name": "phone_tail", "label": "手机尾号", "sample": "1234", "description": "", "at": None})
    out = edit("variables", source, variables=rows)
    removed, added = changed_lines(source, out)
    assert removed == ["    label: 订单号"]
    assert added == ["    label: 订单编号", "  - name: phone_tail", "    label: 手机尾号", "    sample: '1234'"]
    assert out.startswith("# Context variables that reply templates may use.")
    variables, problems = parse_variables(out)
    assert problems == [] and variables["phone_tail"].sample == "1234" and variables["order_id"].label == "订单编号"
    # an emptied description leaves the file
    first = rows[0]
    assert first["description"]
    first["description"] = ""
    assert "description: 买家的旺旺昵称或称呼" not in edit("variables", out, variables=rows)


def test_a_word_list_the_form_cannot_show_is_a_chinese_problem():
    read = read_form("couriers", "couriers:\n  - 顺丰\n")
    assert read.fields is None and read.problems[0]["line"] == 2 and "name" in read.problems[0]["message"]
    assert read_form("variables", "variables: 3\n").problems[0]["message"].startswith("「variables」应是一个列表")
