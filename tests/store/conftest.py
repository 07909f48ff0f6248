"""Fixtures: every store test runs on SQLite (a real temp file) and on PostgreSQL (a fresh schema).

The PostgreSQL URL is ``SHOUHOU_TEST_PG_URL`` or the local test server; when it
cannot be reached those tests are skipped with the URL in the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from app.store.accounts import AccountStore
from app.store.content import ContentStore
from app.store.db import create_engine_from_url, create_tables
from tests.helpers.postgres import postgres_schema
from tests.helpers.stores import FAST_HASHER, Clock, Database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'shouhou.db'}"
        database = Database("sqlite", url, create_engine_from_url(url))
        create_tables(database.engine)
        yield database
        database.dispose()
        return
    with postgres_schema() as url:
        database = Database("postgres", url, create_engine_from_url(url))
        try:
            create_tables(database.engine)
            yield database
        finally:
            database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def content(db: Database, clock: Clock) -> ContentStore:
    return ContentStore(db.engine, clock=clock)


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    return FAST_HASHER


@pytest.fixture
def accounts(db: Database, clock: Clock, fast_hasher: PasswordHasher) -> AccountStore:
    return AccountStore(db.engine, hasher=fast_hasher, clock=clock, session_ttl=timedelta(hours=12))
