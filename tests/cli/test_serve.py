"""`shouhou serve` refuses a dangerous or broken configuration with a plain Chinese message.

uvicorn itself is replaced by a stub here (tests/test_serving.py runs the real server).
"""

import pytest
from typer.testing import CliRunner

from app.cli import app

runner = CliRunner()


@pytest.fixture
def served(monkeypatch):
    """The settings `shouhou serve` would have started uvicorn with (the stub records them)."""
    calls = []
    monkeypatch.setattr("app.serving.run", lambda settings, reload=False, workers=1: calls.append(settings))
    return calls


@pytest.fixture
def env(tmp_path):
    # listing SHOUHOU_HOST/PORT here makes the runner restore them after `serve` sets them
    return {"SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SHOUHOU_HOST": None, "SHOUHOU_PORT": None,
            "SHOUHOU_AGENT_ACCESS": None, "SHOUHOU_SHOPS_FILE": None}


def serve(env, *args, **more):
    return runner.invoke(app, ["serve", *args], env={**env, **more})


def test_serve_passes_the_address_on(env, served):
    r = serve(env, "--host", "192.168.1.5", "--port", "9123")
    assert r.exit_code == 0, r.output
    assert (served[0].host, served[0].port) == ("192.168.1.5", 9123)
    assert "192.168.1.5" in served[0].served_hosts()


def test_open_access_on_the_network_is_refused(env, served):
    r = serve(env, "--host", "0.0.0.0", SHOUHOU_AGENT_ACCESS="open")
    assert r.exit_code == 2 and not served
    assert "SHOUHOU_ALLOW_OPEN_ON_NETWORK=true" in r.output
    assert isinstance(r.exception, SystemExit)  # a message and an exit code, no traceback
    r = serve(env, "--host", "0.0.0.0", SHOUHOU_AGENT_ACCESS="open", SHOUHOU_ALLOW_OPEN_ON_NETWORK="true")
    assert r.exit_code == 0 and served


def test_a_bad_shops_file_stops_serve_suggest_and_check(env, served, tmp_path):
    shops = tmp_path / "shops.yaml"
    shops.write_text("shops:\n  flagship:\n    carriers: 申通\n", encoding="utf-8")
    for args in (["serve"], ["suggest", "在吗"], ["check", "好的"]):
        r = runner.invoke(app, args, env={**env, "SHOUHOU_SHOPS_FILE": str(shops)})
        assert r.exit_code == 2, (args, r.output)
        assert f"店铺资料文件 {shops}" in r.output and "应为列表" in r.output
        assert isinstance(r.exception, SystemExit)
    assert not served


def test_a_mistyped_setting_names_the_variable(env, served):
    r = serve(env, SHOUHOU_READ_TIMEOUT="soon")
    assert r.exit_code == 2 and not served
    assert "设置 SHOUHOU_READ_TIMEOUT 有误：应为数字" in r.output
    r = serve(env, SHOUHOU_MAX_CONNECTIONS="0")
    assert r.exit_code == 2 and "设置 SHOUHOU_MAX_CONNECTIONS 有误：不能小于 1" in r.output


def test_workers_are_passed_to_uvicorn_and_reload_needs_one(env, monkeypatch):
    calls = []
    monkeypatch.setattr("app.serving.run", lambda settings, reload=False, workers=1: calls.append((reload, workers)))
    assert serve(env, "--workers", "3").exit_code == 0
    assert calls == [(False, 3)]
    r = serve(env, "--workers", "2", "--reload")
    assert r.exit_code == 2 and "--reload 只能和一个工作进程一起用" in r.output and len(calls) == 1
    r = serve(env, "--workers", "0")
    assert r.exit_code == 2 and len(calls) == 1
