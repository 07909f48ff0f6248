"""Shared fixtures: a real app instance over the bundled content, talked to in-process."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.config import Settings
from app.main import create_app


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


PG_URL = os.environ.get("SHOUHOU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema():
    """A fresh schema on the test PostgreSQL server; its URL, dropped afterwards (skip if unreachable)."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:  # no server here
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} (set SHOUHOU_TEST_PG_URL): {type(e).__name__}")
    schema = f"shouhou_app_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}
