"""The shouhou command line, as an agent or an editor uses it."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from app import PROJECT_ROOT
from app.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path):
    return {"SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def run(env, *args, input=None):
    return runner.invoke(app, list(args), env=env, input=input)


def test_suggest_prints_intents_and_replies(env):
    r = run(env, "suggest", "衣服颜色和图片差太多了", "--context", "buyer_name=小李")
    assert r.exit_code == 0, r.output
    assert "color_difference" in r.output
    assert "小李" in r.output


def test_suggest_json(env):
    r = run(env, "suggest", "显示签收了但是没收到", "-c", "order_id=3312", "--json")
    out = json.loads(r.output)
    assert out["intents"][0]["id"] == "not_received"
    assert all("missing_vars" in s for s in out["suggestions"])
    assert any("3312" in s["text"] for s in out["suggestions"]) or all("order_id" not in s["missing_vars"] for s in out["suggestions"])


def test_suggest_out_of_scope_and_bad_context(env):
    r = run(env, "suggest", "请把这句话翻译成英文：今天天气很好")
    assert r.exit_code == 0 and "没有把握" in r.output
    r = run(env, "suggest", "在吗", "--context", "novalue")
    assert r.exit_code != 0 and "名称=值" in r.output


def test_check_marks_the_span_and_fails_on_block(env):
    r = run(env, "check", "可以的亲，给您发韵达，保证后天到", "--carriers", "申通")
    assert r.exit_code == 1
    assert "【给您发韵达】" in r.output
    assert "carrier_commitment" in r.output and "delivery_guarantee" in r.output
    r = run(env, "check", "亲，已经帮您备注了，我们会尽快安排发货")
    assert r.exit_code == 0 and "没有发现风险" in r.output


def test_lint_passes_on_bundled_content(env):
    r = run(env, "lint")
    assert r.exit_code == 0, r.output
    assert "29 个意图" in r.output


def copy_content(tmp_path):
    root = tmp_path / "content"
    for d in ("intents", "templates", "rules", "lexicon"):
        shutil.copytree(PROJECT_ROOT / d, root / d)
    return root


def test_lint_reports_file_and_line(env, tmp_path):
    root = copy_content(tmp_path)
    tpl = root / "templates" / "replies" / "greeting" / "short.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "{{ order_id \n", encoding="utf-8")
    (root / "intents" / "thanks.yaml").write_text("id: thanks\nlabel: 致谢\npriority: urgent\n", encoding="utf-8")
    risky = root / "templates" / "replies" / "greeting" / "standard.j2"
    risky.write_text(risky.read_text(encoding="utf-8").rstrip() + "给个好评返现5元哦\n", encoding="utf-8")
    r = run(env, "lint", "--content-dir", str(root))
    assert r.exit_code == 1
    assert f"{tpl}:" in r.output and "语法" in r.output
    assert "thanks.yaml:3" in r.output and "priority" in r.output
    assert "review_inducement" in r.output


def test_lint_refuses_a_mistyped_check_parameter(env, tmp_path):
    root = copy_content(tmp_path)
    rule = root / "rules" / "carrier_commitment.yaml"
    lines = rule.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("  unknown: warn"))
    lines[n] = lines[n].replace("unknown:", "severty:")
    rule.write_text("".join(lines), encoding="utf-8")
    r = run(env, "lint", "--content-dir", str(root))
    assert r.exit_code == 1
    assert f"carrier_commitment.yaml:{n + 1}" in r.output
    assert "params.severty" in r.output and "未知的参数" in r.output
    assert "Traceback" not in r.output


def test_export_then_import_round_trip(env, tmp_path):
    out = tmp_path / "exported"
    r = run(env, "export", str(out))
    assert r.exit_code == 0, r.output
    assert (out / "intents" / "color_difference.yaml").exists()
    assert (out / "templates" / "replies" / "thanks" / "short.j2").exists()
    assert (out / "rules" / "carrier_commitment.yaml").exists()
    r = run(env, "import", str(out))
    assert r.exit_code == 0 and "已导入 0 个" in r.output  # nothing changed, no new versions
    for d in ("lexicon",):
        shutil.copytree(PROJECT_ROOT / d, out / d)
    shutil.copy(PROJECT_ROOT / "templates" / "variables.yaml", out / "templates" / "variables.yaml")
    f = out / "templates" / "replies" / "thanks" / "short.j2"
    f.write_text(f.read_text(encoding="utf-8").rstrip() + "祝您生活愉快！\n", encoding="utf-8")
    r = run(env, "import", str(out))
    assert r.exit_code == 0, r.output
    assert "template thanks/short" in r.output and "已导入 1 个" in r.output
    r = run(env, "suggest", "好的谢谢", "--json")
    assert any("祝您生活愉快" in s["text"] for s in json.loads(r.output)["suggestions"])


def test_import_refuses_broken_files(env, tmp_path):
    root = copy_content(tmp_path)
    (root / "intents" / "greeting.yaml").write_text("id: [broken\n", encoding="utf-8")
    r = run(env, "import", str(root))
    assert r.exit_code == 1 and "未导入" in r.output


def test_keys_create_list_revoke(env):
    r = run(env, "keys", "create", "im-bot", "--role", "agent")
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("shk_")
    listed = run(env, "keys", "list").output
    assert "im-bot" in listed and secret not in listed
    assert run(env, "keys", "revoke", "1").exit_code == 0
    assert "已吊销" in run(env, "keys", "list").output
    assert run(env, "keys", "create", "x", "--role", "boss").exit_code != 0


def test_users(env):
    r = run(env, "users", "create", "xiaomei", "--role", "editor", input="a-good-password\na-good-password\n")
    assert r.exit_code == 0, r.output
    assert "xiaomei\teditor" in run(env, "users", "list").output
