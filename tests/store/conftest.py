"""Fixtures: every store test runs on SQLite (a real temp file) and on PostgreSQL (a fresh schema).

The PostgreSQL URL is ``SHOUHOU_TEST_PG_URL`` or the local test server; when it
cannot be reached those tests are skipped with the URL in the message.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, make_url, text

from app.store.accounts import AccountStore
from app.store.content import ContentStore
from app.store.db import create_engine_from_url, create_tables, normalize_url

PG_URL = os.environ.get("SHOUHOU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

#: Cheap argon2id parameters so tests stay fast; production uses argon2-cffi's defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Database:
    """One test database: its engine, and a way to open more engines (own pools) on it."""

    backend: str
    url: str
    connect_args: dict[str, Any]
    engine: Engine
    _extra: list[Engine] = field(default_factory=list)

    def new_engine(self) -> Engine:
        """Another engine on the same database, like a second server process."""
        engine = create_engine_from_url(self.url, connect_args=self.connect_args)
        self._extra.append(engine)
        return engine

    def dispose(self) -> None:
        for engine in [*self._extra, self.engine]:
            engine.dispose()


class Clock:
    """A settable clock for expiry tests."""

    def __init__(self, start: datetime = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


_pg_unreachable: str | None = None


def _pg_admin_engine() -> Engine:
    global _pg_unreachable
    shown = make_url(PG_URL).render_as_string(hide_password=True)
    if _pg_unreachable is not None:
        pytest.skip(_pg_unreachable)
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:  # any failure to connect means "no server here"
        admin.dispose()
        _pg_unreachable = (
            f"PostgreSQL not reachable at {shown} (set SHOUHOU_TEST_PG_URL): {type(e).__name__}"
        )
        pytest.skip(_pg_unreachable)
    return admin


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'shouhou.db'}"
        database = Database("sqlite", url, {}, create_engine_from_url(url))
        create_tables(database.engine)
        yield database
        database.dispose()
        return

    admin = _pg_admin_engine()
    schema = f"shouhou_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    args = {"options": f"-c search_path={schema}"}
    database = Database("postgres", PG_URL, args, create_engine_from_url(PG_URL, connect_args=args))
    try:
        create_tables(database.engine)
        yield database
    finally:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
