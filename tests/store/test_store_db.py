"""Opening the database: SQLite file setup, BEGIN IMMEDIATE for writers, URL handling."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from app.store.db import create_engine_from_url, normalize_url, open_engine, reader, transaction
from app.store.models import Meta


def test_sqlite_file_and_directories_are_created_with_wal(tmp_path) -> None:
    path = tmp_path / "nested" / "dir" / "shouhou.db"
    engine = open_engine(f"sqlite:///{path}")
    try:
        assert path.is_file()
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    finally:
        engine.dispose()


def _try_write_lock(path) -> bool:
    """Can another connection take the write lock right now (no waiting)?"""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as e:
        assert "locked" in str(e)
        return False
    finally:
        other.close()


def test_sqlite_write_transactions_take_the_lock_before_reading(tmp_path) -> None:
    path = tmp_path / "shouhou.db"
    engine = open_engine(f"sqlite:///{path}")
    try:
        with transaction(engine) as s:
            s.get(Meta, "content_revision")  # only a read so far
            assert not _try_write_lock(path)
        assert _try_write_lock(path)

        with transaction(reader(engine)) as s:
            s.get(Meta, "content_revision")
            assert _try_write_lock(path)  # readers never block writers
    finally:
        engine.dispose()


def test_open_engine_is_idempotent(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shouhou.db'}"
    for _ in range(2):
        engine = open_engine(url)
        with transaction(engine) as s:
            assert s.get(Meta, "content_revision").value == 0
        engine.dispose()


def test_in_memory_sqlite_is_one_database() -> None:
    engine = open_engine("sqlite://")
    with transaction(reader(engine)) as s:
        assert s.get(Meta, "content_revision") is not None


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_urls_choose_the_installed_driver(given: str, driver: str) -> None:
    assert normalize_url(given).drivername == driver


def test_postgres_engine_is_not_connected_at_creation() -> None:
    engine = create_engine_from_url("postgresql://nobody@127.0.0.1:1/none")
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    engine.dispose()
