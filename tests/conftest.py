"""Shared fixtures: a real app instance over the bundled content, talked to in-process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers.postgres import postgres_schema


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    db = tmp_path_factory.mktemp("db") / "shouhou.db"
    return Settings(database_url=f"sqlite:///{db}", agent_access="open")


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def engine(app):
    return app.state.holder.current()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_app(request, tmp_path_factory):
    """An app on its own new database (SQLite file, or a PostgreSQL schema), for tests that edit."""
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("fresh") / "shouhou.db"
        app = create_app(Settings(database_url=f"sqlite:///{db}", agent_access="key"))
        yield app
        app.state.store_engine.dispose()
        return
    with postgres_schema() as url:
        app = create_app(Settings(database_url=url, agent_access="key"))
        yield app
        app.state.store_engine.dispose()


@pytest.fixture(scope="module")
def keys(fresh_app):
    """One API key per role on ``fresh_app``: {"agent": "shk_…", "editor": …, "admin": …}."""
    accounts = fresh_app.state.accounts
    return {role: accounts.create_api_key(f"test-{role}", role)[0] for role in ("agent", "editor", "admin")}


@pytest.fixture(scope="module")
def fresh_client(fresh_app):
    with TestClient(fresh_app) as c:
        yield c
