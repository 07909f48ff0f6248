"""Shared fixtures: a real app instance over the bundled content, talked to in-process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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
