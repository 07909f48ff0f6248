"""The test PostgreSQL server: one fresh schema per use, dropped afterwards — written once.

The server is ``SHOUHOU_TEST_PG_URL`` or the local test server; when it cannot be
reached the test is skipped with the URL in the message (and the next ones at once,
without trying again).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from app.store.db import normalize_url

PG_URL = os.environ.get("SHOUHOU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

_unreachable: str | None = None


def _admin_engine() -> Engine:
    """An autocommit engine on the server, or a skip when there is none."""
    global _unreachable
    if _unreachable is not None:
        pytest.skip(_unreachable)
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:  # any failure to connect means "no server here"
        admin.dispose()
        shown = make_url(PG_URL).render_as_string(hide_password=True)
        _unreachable = f"PostgreSQL not reachable at {shown} (set SHOUHOU_TEST_PG_URL): {type(e).__name__}"
        pytest.skip(_unreachable)
    return admin


def schema_url(schema: str) -> str:
    """The server's URL with ``search_path`` set to ``schema``: every table goes there."""
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(prefix: str = "shouhou_test") -> Iterator[str]:
    """A fresh, empty schema on the test server; yields its URL and drops it (with its tables) afterwards."""
    admin = _admin_engine()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
