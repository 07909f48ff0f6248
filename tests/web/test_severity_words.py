"""One vocabulary for a flag's severity on every page: 禁止发送 / 需要确认 / 提示."""

import json
import re
from pathlib import Path

from app import PROJECT_ROOT
from app.guard.severity import SEVERITY_NAMES

APP = PROJECT_ROOT / "app"
#: Words pages used for a severity before there was one vocabulary.
OLD_WORDS = re.compile(r"警告|请再看一遍|阻止|(?:block|warn|info) ?级|禁止级")


def _ui_files() -> list[Path]:
    files = [*APP.glob("web/templates/*.html"), *APP.glob("web/static/*.js"), *APP.glob("web/*.py"),
             *APP.glob("api/routes/*.py"), *APP.glob("editing/*.py"), APP / "cli.py"]
    return files


def test_the_pages_script_names_severities_as_python_does():
    js = (APP / "web" / "static" / "common.js").read_text(encoding="utf-8")
    m = re.search(r"const severityName = (\{[^}]*\});", js)
    assert m, "common.js defines severityName"
    table = json.loads(re.sub(r"(\w+):", r'"\1":', m.group(1)))
    assert table == SEVERITY_NAMES == {"block": "禁止发送", "warn": "需要确认", "info": "提示"}


def test_no_page_or_message_uses_another_word_for_a_severity():
    found = [
        f"{f.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}"
        for f in _ui_files()
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if OLD_WORDS.search(line) and "never" not in line and "OLD_WORDS" not in line
    ]
    assert found == []


def test_lint_names_a_flag_by_the_vocabulary():
    from app.content.files import ContentPack, parse_template
    from app.editing.lint import template_issues
    from app.guard.guard import Guard
    from app.guard.rules import load_rules
    from app.rendering.renderer import Renderer

    tpl, _ = parse_template("---\nid: thanks/x\nintent: thanks\ntitle: 测试\n---\n亲，给个好评返现5元哦\n", "t.j2")
    pack = ContentPack()
    issues = template_issues(tpl, pack, Renderer(), Guard(load_rules(PROJECT_ROOT / "rules")), "t.j2")
    flagged = [p for p in issues if "review_inducement" in p.message]
    assert flagged and flagged[0].message.startswith("禁止发送：「")
