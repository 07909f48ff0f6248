"""The shouhou command line, as an agent or an editor uses it.

Commands that only read (suggest, check, lint of files) share one database, seeded by
the first of them; every command reads the classifier from one cache directory, trained
by the first command that needs it, so no call retrains it.  Commands that write get
a database of their own (``env``).
"""

import json
import shutil

import pytest
from typer.testing import CliRunner

from app import PROJECT_ROOT
from app.cli import app
from tests.helpers.postgres import postgres_schema

runner = CliRunner()


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory):
    """One cache directory for every command of this file: the classifier is trained once."""
    return {"SHOUHOU_CACHE_DIR": str(tmp_path_factory.mktemp("cli-cache"))}


@pytest.fixture(scope="module")
def shared(tmp_path_factory, cache_env):
    """One database for the commands that do not write content (seeded by the first)."""
    return {**cache_env, "SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('cli-db') / 'cli.db'}"}


@pytest.fixture
def env(tmp_path, cache_env):
    return {**cache_env, "SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def run(env, *args, input=None):
    return runner.invoke(app, list(args), env=env, input=input)


def test_suggest_prints_intents_and_replies(shared):
    r = run(shared, "suggest", "衣服颜色和图片差太多了", "--context", "buyer_name=小李")
    assert r.exit_code == 0, r.output
    assert "color_difference" in r.output
    assert "小李" in r.output


def test_suggest_json(shared):
    r = run(shared, "suggest", "显示签收了但是没收到", "-c", "order_id=3312", "--json")
    out = json.loads(r.output)
    assert out["intents"][0]["id"] == "not_received"
    assert all("missing_vars" in s for s in out["suggestions"])
    assert not any("order_id" in s["missing_vars"] for s in out["suggestions"])  # given: never asked for


def test_suggest_out_of_scope_and_bad_context(shared):
    r = run(shared, "suggest", "请把这句话翻译成英文：今天天气很好")
    assert r.exit_code == 0 and "没有把握" in r.output
    r = run(shared, "suggest", "在吗", "--context", "novalue")
    assert r.exit_code != 0 and "名称=值" in r.output


def test_check_marks_the_span_and_fails_on_block(shared):
    r = run(shared, "check", "可以的亲，给您发韵达，保证后天到", "--carriers", "申通")
    assert r.exit_code == 1
    assert "【给您发韵达】" in r.output
    assert "carrier_commitment" in r.output and "delivery_guarantee" in r.output
    r = run(shared, "check", "亲，已经帮您备注了，我们会尽快安排发货")
    assert r.exit_code == 0 and "没有发现风险" in r.output


def test_lint_passes_on_bundled_content(shared):
    r = run(shared, "lint")
    assert r.exit_code == 0, r.output
    assert "29 个意图" in r.output


def copy_content(tmp_path):
    root = tmp_path / "content"
    for d in ("intents", "templates", "rules", "lexicon"):
        shutil.copytree(PROJECT_ROOT / d, root / d)
    return root


def test_lint_reports_file_and_line(shared, tmp_path):
    root = copy_content(tmp_path)
    tpl = root / "templates" / "replies" / "greeting" / "short.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "{{ order_id \n", encoding="utf-8")
    (root / "intents" / "thanks.yaml").write_text("id: thanks\nlabel: 致谢\npriority: urgent\n", encoding="utf-8")
    risky = root / "templates" / "replies" / "greeting" / "standard.j2"
    risky.write_text(risky.read_text(encoding="utf-8").rstrip() + "给个好评返现5元哦\n", encoding="utf-8")
    r = run(shared, "lint", "--content-dir", str(root))
    assert r.exit_code == 1
    assert f"{tpl}:" in r.output and "「{{」没有配对的「}}」" in r.output
    assert "thanks.yaml:3" in r.output and "priority" in r.output
    assert "review_inducement" in r.output


def test_lint_refuses_a_mistyped_check_parameter(shared, tmp_path):
    root = copy_content(tmp_path)
    rule = root / "rules" / "carrier_commitment.yaml"
    lines = rule.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("  unknown: warn"))
    lines[n] = lines[n].replace("unknown:", "severty:")
    rule.write_text("".join(lines), encoding="utf-8")
    r = run(shared, "lint", "--content-dir", str(root))
    assert r.exit_code == 1
    assert f"carrier_commitment.yaml:{n + 1}" in r.output
    assert "「params」里不认识的字段「severty」" in r.output
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
        shutil.copytree(PROJECT_ROOT / d, out / d, dirs_exist_ok=True)
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


def test_lint_refuses_a_template_that_could_stall_the_server(shared, tmp_path):
    root = copy_content(tmp_path)
    tpl = root / "templates" / "replies" / "thanks" / "short.j2"
    lines = tpl.read_text(encoding="utf-8").rstrip("\n").splitlines()
    tpl.write_text("\n".join([*lines, "{% set x = (((order_id|int) ** 32) ** 32) ** 4 %}{{ self }}"]) + "\n", encoding="utf-8")
    r = run(shared, "lint", "--content-dir", str(root))
    assert r.exit_code == 1
    assert f"{tpl}:{len(lines) + 1}" in r.output and "算术运算" in r.output
    assert "Traceback" not in r.output


def test_lint_store_names_a_saved_template_that_is_now_refused(env):
    """A template saved before the language was narrowed is skipped by the server; lint --store says which."""
    from app.config import Settings
    from app.editing.sync import seed_store
    from app.store import ContentStore, open_engine

    settings = Settings(database_url=env["SHOUHOU_DATABASE_URL"])
    db = open_engine(settings.database_url)
    store = ContentStore(db)
    seed_store(store, settings)
    current = store.get("template", "thanks/short")
    store.save("template", "thanks/short", current.body.rstrip("\n") + "{{ '%0299999999d' % 1 }}\n",
               author="before-upgrade", base_version=current.version)
    db.dispose()
    r = run(env, "lint", "--store")
    assert r.exit_code == 1
    assert "内容库 templates/replies/thanks/short.j2:" in r.output and "算术运算（%）" in r.output
    assert "Traceback" not in r.output
    assert run(env, "lint").exit_code == 0  # the files themselves are fine


# -- shouhou import: files it cannot read, and one transaction ------------------------------


def _store(env):
    from app.store import ContentStore, open_engine

    return ContentStore(open_engine(env["SHOUHOU_DATABASE_URL"]))


def _bad_utf8(root):
    path = root / "intents" / "greeting.yaml"
    path.write_bytes(path.read_bytes().replace("问候".encode(), "问候".encode("gbk"), 1))
    return path, "UTF-8"


def _dir_named_yaml(root):
    path = root / "rules" / "x.yaml"
    path.mkdir()
    return path, "目录"


def _dir_named_j2(root):
    path = root / "templates" / "replies" / "thanks" / "odd.j2"
    path.mkdir()
    return path, "目录"


def _bad_yaml(root):
    path = root / "rules" / "carrier_commitment.yaml"
    path.write_text("id: carrier_commitment\nseverity: [block\n", encoding="utf-8")
    return path, "方括号「[」没有配对的「]」"


@pytest.mark.parametrize("breaks", [_bad_utf8, _dir_named_yaml, _dir_named_j2, _bad_yaml])
def test_import_names_a_file_it_cannot_use_and_imports_nothing(env, tmp_path, breaks):
    assert run(env, "export", str(tmp_path / "before")).exit_code == 0  # seeds the store
    before = _store(env).export_all()
    root = copy_content(tmp_path)
    # a change that would be imported if the rest were fine
    f = root / "templates" / "replies" / "thanks" / "short.j2"
    f.write_text(f.read_text(encoding="utf-8").rstrip() + "祝您生活愉快！\n", encoding="utf-8")
    path, words = breaks(root)
    r = run(env, "import", str(root))
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit), r.exception  # a clean exit, not a crash
    assert str(path) in r.output and words in r.output and "未导入" in r.output
    assert _store(env).export_all() == before


def test_import_reports_an_unreadable_file(env, tmp_path, monkeypatch):
    from pathlib import Path

    root = copy_content(tmp_path)
    locked = root / "intents" / "thanks.yaml"
    real = Path.read_bytes

    def read_bytes(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)  # as root, chmod 000 would not stop a read
    r = run(env, "import", str(root))
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)
    assert f"{locked}:1: 无法读取这个文件：Permission denied" in r.output and "未导入" in r.output


def test_import_of_a_missing_directory_is_a_clear_error(shared, tmp_path):
    r = run(shared, "import", str(tmp_path / "nowhere"))
    assert r.exit_code == 1 and "不是一个目录" in r.output and isinstance(r.exception, SystemExit)


def _changed_pack(root):
    """One edit in each kind: an intent, a template and a rule."""
    intent = root / "intents" / "thanks.yaml"
    intent.write_text(intent.read_text(encoding="utf-8").replace("label: 致谢", "label: 致谢（导入）", 1), encoding="utf-8")
    tpl = root / "templates" / "replies" / "thanks" / "short.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8").rstrip() + "祝您生活愉快！\n", encoding="utf-8")
    rule = root / "rules" / "ad_superlative.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").rstrip() + "\n# 导入时加的备注\n", encoding="utf-8")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_env(request, tmp_path, cache_env):
    if request.param == "sqlite":
        yield {**cache_env, "SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
        return
    with postgres_schema() as url:
        yield {**cache_env, "SHOUHOU_DATABASE_URL": url}


def test_import_is_one_transaction(any_db_env, tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.store.content import ContentStore

    env = any_db_env
    assert run(env, "export", str(tmp_path / "before")).exit_code == 0  # seeds the store
    store = _store(env)
    before, revision = store.export_all(), store.revision()
    root = copy_content(tmp_path)
    _changed_pack(root)

    real_append = ContentStore._append
    writes = []

    def failing_append(self, s, doc, body, **kw):
        writes.append(doc.key)
        if len(writes) == 3:
            raise OperationalError("INSERT INTO document_versions …", {}, Exception("disk I/O error"))
        return real_append(self, s, doc, body, **kw)

    monkeypatch.setattr(ContentStore, "_append", failing_append)
    r = run(env, "import", str(root))
    assert len(writes) == 3  # two documents were written in the transaction before the failure
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)
    assert "导入失败，内容库没有任何改动：disk I/O error" in r.output
    assert store.export_all() == before and store.revision() == revision
    assert [v.version for v in store.history("intent", "thanks")] == [1]

    monkeypatch.setattr(ContentStore, "_append", real_append)
    r = run(env, "import", str(root))
    assert r.exit_code == 0, r.output
    assert "已导入 3 个" in r.output and store.revision() == revision + 1
    assert "致谢（导入）" in store.get("intent", "thanks").body


def test_users_unlock(env):
    from app.store import AccountStore, lockout, open_engine

    assert run(env, "users", "create", "xiaomei", input="a-good-password\na-good-password\n").exit_code == 0
    accounts = AccountStore(open_engine(env["SHOUHOU_DATABASE_URL"]))
    when = accounts.clock()
    accounts.clock = lambda: when
    for _ in range(lockout.LOCK_AFTER):
        when += lockout.MAX_BACKOFF
        accounts.begin_login("xiaomei")
    assert "已锁定" in run(env, "users", "list").output
    r = run(env, "users", "unlock", "xiaomei")
    assert r.exit_code == 0 and "已解锁" in r.output
    assert "已锁定" not in run(env, "users", "list").output
    assert run(env, "users", "unlock", "nobody").exit_code == 1
    r = run(env, "users", "create", "xiaolan", input="short\nshort\n")
    assert r.exit_code == 1 and "密码至少 10 个字符" in r.output
