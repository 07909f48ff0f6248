"""A real server (uvicorn in a subprocess, its own SQLite file) and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import PROJECT_ROOT
from app.store import AccountStore, open_engine
from tests.helpers.browser import ADMIN, EDITOR
from tests.helpers.servers import free_port, wait_until_up

CHROMIUM = os.environ.get("SHOUHOU_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

SHOPS = """
default: flagship
shops:
  flagship:
    name: 某某鞋业旗舰店
    carriers: [申通]
    ship_within_hours: 72
    seven_day_return: true
    invoice: {company: 某某鞋业有限公司, categories: [鞋]}
  outdoor:
    name: 山野户外专营店
    carriers: [顺丰, 韵达]
    ship_within_hours: 48
"""


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="session")
def server_accounts(server_dir) -> AccountStore:
    """The accounts in the test server's database, for tests that set up what a page then shows."""
    return AccountStore(open_engine(f"sqlite:///{server_dir / 'shouhou.db'}"))


@pytest.fixture(scope="session")
def server(server_dir, server_accounts):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: run ./scripts/install-browser.sh")
    tmp = server_dir
    db_url = f"sqlite:///{tmp / 'shouhou.db'}"
    (tmp / "shops.yaml").write_text(SHOPS, encoding="utf-8")
    accounts = server_accounts
    accounts.create_user(*EDITOR, "editor")
    accounts.create_user(*ADMIN, "admin")
    port = free_port()
    env = {**os.environ, "SHOUHOU_DATABASE_URL": db_url, "SHOUHOU_SHOPS_FILE": str(tmp / "shops.yaml"),
           "SHOUHOU_AGENT_ACCESS": "local"}
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base, tmp / "server.log", patience=60)
    yield base
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(base_url=server, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)

