"""The password rule has one definition (app/store/accounts.py); the README states that one."""

from __future__ import annotations

from app import PROJECT_ROOT
from app.store.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def test_the_readme_states_the_password_lengths_the_store_enforces():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH:,} characters" in readme
