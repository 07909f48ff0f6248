"""The browser tests' accounts (created on the test server) and signing in."""

from __future__ import annotations

EDITOR = ("xiaomei", "editor-password-1")
ADMIN = ("laoban", "admin-password-1")


def login(page, who=EDITOR, target="/editor"):
    page.goto(f"/login?next={target}")
    page.fill("input[name=username]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")
