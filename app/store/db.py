"""Open the database: build an engine from a URL, set SQLite up for concurrent writers, create tables.

SQLite is used in WAL mode and every *write* transaction starts with
``BEGIN IMMEDIATE``: the write lock is taken before the transaction first reads,
so two writers that both read-then-write queue on ``busy_timeout`` instead of one
failing with "database is locked" when it tries to upgrade its read lock.  Read
transactions (see ``reader``) start with a plain deferred ``BEGIN`` and never block
writers.  PostgreSQL needs none of this; the content store locks document rows
with ``SELECT … FOR UPDATE``.  Bookkeeping writes that may be skipped use
``short_wait``: they give up after a moment instead of queueing behind a lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, func, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from app.store.models import CONTENT_REVISION, Base, Meta

#: How long an SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30

#: How long a best-effort write (see ``short_wait``) waits for a lock before it is skipped.
BEST_EFFORT_WAIT_S = 0.1

#: Execution option that marks an engine's transactions as read-only (deferred BEGIN on SQLite).
_READ_ONLY = "shouhou_read_only"
#: Execution option: seconds a write transaction waits for a lock (``short_wait``).
_LOCK_WAIT = "shouhou_lock_wait"
#: The PostgreSQL advisory lock that ``create_tables`` holds while it creates tables.
_CREATE_TABLES_LOCK = 0x5348_4F55  # "SHOU"
#: PostgreSQL SQLSTATEs of a lock not granted in time: lock_not_available, deadlock_detected.
_PG_BUSY = {"55P03", "40P01"}


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; ``postgres://`` and ``postgresql://`` mean the installed psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine_from_url(
    url: str | URL, *, connect_args: dict[str, Any] | None = None, echo: bool = False
) -> Engine:
    """An engine for ``sqlite:///path`` (parent directory created) or ``postgresql+psycopg://…``.

    ``connect_args`` go to the driver (e.g. ``{"options": "-c search_path=x"}`` on PostgreSQL).
    Tables are not created; call ``create_tables`` (or use ``open_engine``).
    """
    parsed = normalize_url(url)
    args = dict(connect_args or {})
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=args, echo=echo)
        _configure_postgresql(engine)
        return engine

    in_memory = parsed.database in (None, "", ":memory:")
    if not in_memory:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    # The pool hands a connection to one thread at a time, so sharing across threads is safe.
    args.setdefault("check_same_thread", False)
    kwargs: dict[str, Any] = {"connect_args": args, "echo": echo}
    if in_memory:
        kwargs["poolclass"] = (
            StaticPool  # one shared connection, or every connection is a new database
        )
    engine = create_engine(parsed, **kwargs)
    _configure_sqlite(engine, wal=not in_memory)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    """SQLAlchemy's documented pysqlite recipe, with ``BEGIN IMMEDIATE`` for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the sqlite3 module from issuing BEGIN itself; the "begin" hook below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        # Set on every write: the connection is pooled, and a best-effort writer shortens it.
        wait_ms = int(options.get(_LOCK_WAIT, SQLITE_BUSY_TIMEOUT_S) * 1000)
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {wait_ms}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        wait = conn.get_execution_options().get(_LOCK_WAIT)
        if wait is not None:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait * 1000)}")


def short_wait(engine: Engine, seconds: float = BEST_EFFORT_WAIT_S) -> Engine:
    """The same engine whose write transactions wait at most ``seconds`` for a lock.

    For best-effort bookkeeping (an API key's last use, removing an expired
    session) that must never hold a request up: when another connection holds
    the lock, the write fails fast (``is_busy``) and the caller skips it.
    """
    return engine.execution_options(**{_LOCK_WAIT: seconds})


def is_busy(error: BaseException) -> bool:
    """True if ``error`` means a lock was not free in time (SQLite busy, PostgreSQL lock timeout or deadlock)."""
    if not isinstance(error, OperationalError):
        return False
    orig = error.orig
    if isinstance(orig, sqlite3.OperationalError):
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) in _PG_BUSY


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) with transactions marked read-only: deferred ``BEGIN`` on SQLite.

    Only use it for transactions that never write; a write there could fail with
    "database is locked" on SQLite.
    """
    return engine.execution_options(**{_READ_ONLY: True})


def snapshot_reader(engine: Engine) -> Engine:
    """``reader``, and every statement of a transaction sees the same snapshot of the database.

    PostgreSQL's default (READ COMMITTED) takes a new snapshot per statement, so
    this asks for REPEATABLE READ (read-only, it can never fail to serialise).
    SQLite in WAL mode already reads from one snapshot from the transaction's first
    read to its end.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return reader(engine)


@contextmanager
def transaction(bind: Engine) -> Iterator[Session]:
    """An ORM session in one transaction: committed on success, rolled back on error."""
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless its primary key exists; True if inserted.

    Safe against a concurrent insert of the same key: on PostgreSQL the loser waits
    for the winner's commit and then inserts nothing.
    """
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    statement = insert(table).values(**values).on_conflict_do_nothing()
    # SQLAlchemy only keeps an INSERT's rowcount when asked to.
    result = session.execute(statement, execution_options={"preserve_rowcount": True})
    return result.rowcount == 1


def create_tables(engine: Engine) -> None:
    """Create every missing table and the global counters (idempotent; safe at every start).

    Several processes may start at once on a new PostgreSQL database (``shouhou serve
    --workers N``, replicas): they take turns, or two would both find a table missing
    and the second ``CREATE TABLE`` would fail.
    """
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
        Base.metadata.create_all(conn)
    with transaction(engine) as session:
        insert_ignore(session, Meta.__table__, {"name": CONTENT_REVISION, "value": 0})


def open_engine(url: str | URL, **kwargs: Any) -> Engine:
    """``create_engine_from_url`` then ``create_tables``: what the server does at start."""
    engine = create_engine_from_url(url, **kwargs)
    create_tables(engine)
    return engine
