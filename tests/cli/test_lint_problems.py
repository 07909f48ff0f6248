"""``shouhou lint`` prints each problem as ``path:line: 说明（提示：…）``, in Chinese."""

import re
import shutil

from typer.testing import CliRunner

from app import PROJECT_ROOT
from app.cli import app

ENGLISH = re.compile(r"while|scanning|mapping values|expected|found|<unicode string>|subpattern|Field required", re.I)


def test_lint_prints_chinese_problems_with_line_and_hint(tmp_path):
    root = tmp_path / "content"
    for d in ("intents", "templates", "rules", "lexicon"):
        shutil.copytree(PROJECT_ROOT / d, root / d)
    intent = root / "intents" / "color_difference.yaml"
    lines = intent.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("label:"))
    lines[n] = "label:色差\n"
    intent.write_text("".join(lines), encoding="utf-8")
    rule = root / "rules" / "ad_superlative.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("severity: ", "severity: danger #", 1), encoding="utf-8")
    severity_line = next(i for i, line in enumerate(rule.read_text(encoding="utf-8").splitlines(), 1)
                         if line.startswith("severity:"))

    r = CliRunner().invoke(app, ["lint", "--content-dir", str(root)],
                           env={"SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"})
    assert r.exit_code == 1, r.output
    assert (f"{intent}:{n + 1}: 冒号后面缺少空格（提示：冒号后面要有空格：写成「名称: 内容」，如 label: 色差）"
            in r.output.splitlines())
    assert f"{rule}:{severity_line}: 「severity」只能是 block、warn 或 info" in r.output.splitlines()
    assert not ENGLISH.search(r.output), r.output
    assert "Traceback" not in r.output
