"""Hearing about content edits made by other processes on the same PostgreSQL database.

Every content write sends ``NOTIFY shouhou_content, '<schema>:<revision>'`` inside
its transaction (``app.store.content``); PostgreSQL delivers it when, and only if, the
transaction commits.  ``ChangeListener`` keeps one connection of its own (autocommit,
``LISTEN shouhou_content``) in a background thread and passes each revision it hears
for its own schema (several instances may share a database, one schema each) to a
callback, which asks for a rebuild in the background.

NOTIFY is a fast path, not a guarantee: a notification sent while the listener is
disconnected is lost, and PgBouncer in transaction mode does not pass LISTEN on at
all.  So the listener reconnects with back-off and reports ``None`` ("check the
revision now") after every (re)connect, and the server keeps polling the revision
(``EngineHolder.start_polling``) whatever happens here.  SQLite has no listener; the
poll alone notices other processes' edits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

log = logging.getLogger("shouhou")

#: The channel every content write notifies; the payload is the new content revision.
CHANNEL = "shouhou_content"

#: How long the listener waits for a notification before it checks whether to stop.
WAKE_S = 0.5
#: First and longest pause before reconnecting after the connection is lost or refused.
FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.5, 30.0
#: How often an idle listener checks that its connection still works.
HEALTH_CHECK_S = 30.0


def supports_notify(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class ChangeListener:
    """``LISTEN shouhou_content`` in a thread; ``on_change(revision)`` for each notification.

    ``on_change(None)`` follows every successful (re)connect: edits may have been
    committed while nobody was listening.  The callback runs in the listener's thread
    and must be quick (``EngineHolder.notice`` only queues a rebuild).
    """

    def __init__(self, engine: Engine, on_change: Callable[[int | None], None]):
        self._engine = engine
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Set while the connection is listening (tests and the benchmark wait for it).
        self.listening = threading.Event()
        #: The PostgreSQL backend process of the listening connection (tests kill it).
        self.backend_pid: int | None = None
        self._schema: str | None = None

    def start(self) -> ChangeListener:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="shouhou-change-listener", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _connect(self):
        # A connection made the way the engine makes its own (URL, connect_args), but taken
        # out of the pool: it stays in LISTEN mode for as long as this process runs.
        fairy = self._engine.raw_connection()
        fairy.detach()
        conn = fairy.dbapi_connection
        conn.rollback()
        conn.autocommit = True
        conn.execute(f"LISTEN {CHANNEL}")
        self.backend_pid = conn.info.backend_pid
        self._schema = conn.execute("SELECT current_schema()").fetchone()[0]
        return conn

    def _run(self) -> None:
        backoff = FIRST_BACKOFF_S
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as e:  # the server is down or refuses us: try again later
                log.warning("content change listener cannot connect (%s); retrying in %.1f s", type(e).__name__, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = FIRST_BACKOFF_S
            self.listening.set()
            try:
                self._on_change(None)
                self._listen(conn)
            except Exception as e:  # connection lost: the poll covers the gap, we reconnect
                if not self._stop.is_set():
                    log.warning("content change listener lost its connection (%s); reconnecting", type(e).__name__)
            finally:
                self.listening.clear()
                try:
                    conn.close()
                except Exception:  # already broken
                    pass

    def _listen(self, conn) -> None:
        idle = 0.0
        while not self._stop.is_set():
            heard = False
            for notify in conn.notifies(timeout=WAKE_S):
                heard = True
                schema, _, revision = notify.payload.rpartition(":")
                if schema == self._schema:
                    self._on_change(_revision(revision))
            idle = 0.0 if heard else idle + WAKE_S
            if idle >= HEALTH_CHECK_S:  # a dead peer is otherwise only noticed when the OS gives up
                conn.execute("SELECT 1")
                idle = 0.0


def _revision(payload: str) -> int | None:
    try:
        return int(payload)
    except ValueError:
        return None  # not a number: check the revision rather than trust it
