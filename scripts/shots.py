"""What the screenshot scripts share: a fresh server on its own SQLite file and headless Chromium.

    with server(tmp, shops_yaml, users=[("xiaomei", "editor-password-1", "editor")]) as base:
        with chromium() as browser:
            ...
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(tmp: Path, shops: str, users=(), env: dict[str, str] | None = None, seed=None) -> Iterator[str]:
    """A server on ``tmp``/shouhou.db with these shops and users; its base URL.  ``seed(url)``
    runs on the database before the server starts."""
    from app.store import AccountStore, open_engine

    url = f"sqlite:///{tmp / 'shouhou.db'}"
    (tmp / "shops.yaml").write_text(shops, encoding="utf-8")
    if seed is not None:
        seed(url)
    accounts = AccountStore(open_engine(url))
    for name, password, role in users:
        accounts.create_user(name, password, role)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)], cwd=ROOT,
        env={**os.environ, "SHOUHOU_DATABASE_URL": url, "SHOUHOU_SHOPS_FILE": str(tmp / "shops.yaml"), **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        OUT.mkdir(parents=True, exist_ok=True)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("SHOUHOU_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, name: str, password: str, target: str) -> None:
    page.goto(f"/login?next={target}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")
