"""Real concurrency: writers on separate engines (like separate processes) racing on one database.

Content saves from one base, creates of one key, and two admins demoting each other.

On SQLite these fail with "database is locked" unless write transactions begin
with ``BEGIN IMMEDIATE``; on PostgreSQL they fail with a unique violation unless
the document row is locked before the version check.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from app.store.accounts import AccountStore
from app.store.content import ContentStore, Version
from app.store.errors import Conflict, InvalidOperation

WRITERS = 8
KEY = "refund"


def _race(db, attempt) -> list[Version | Conflict]:
    """Run ``attempt(store, i)`` in WRITERS threads at once, each on its own engine.

    Any other exception (OperationalError, IntegrityError…) propagates and fails the test.
    """
    stores = [ContentStore(db.new_engine()) for _ in range(WRITERS)]
    for store in stores:
        store.revision()  # open each pool's first connection before the race starts
    barrier = threading.Barrier(WRITERS)

    def run(i: int) -> Version | Conflict:
        barrier.wait()
        try:
            return attempt(stores[i], i)
        except Conflict as c:
            return c

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(run, range(WRITERS)))


def test_same_base_exactly_one_save_wins(db) -> None:
    store = ContentStore(db.engine)
    store.save("intent", KEY, "id: refund\n", author="seed", base_version=None)

    results = _race(
        db,
        lambda s, i: s.save(
            "intent", KEY, f"id: refund\nlabel: 第{i}人\n", author=f"e{i}", base_version=1
        ),
    )

    wins = [r for r in results if isinstance(r, Version)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == WRITERS - 1
    assert wins[0].version == 2
    assert {c.current_version for c in conflicts} == {2}
    history = store.history("intent", KEY)
    assert [v.version for v in history] == [2, 1]
    assert history[0].body == wins[0].body
    assert store.revision() == 2


def test_same_new_key_exactly_one_create_wins(db) -> None:
    results = _race(
        db,
        lambda s, i: s.save(
            "intent", KEY, f"id: refund\n# {i}\n", author=f"e{i}", base_version=None
        ),
    )

    wins = [r for r in results if isinstance(r, Version)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == WRITERS - 1
    assert {c.current_version for c in conflicts} == {1}
    assert [v.body for v in ContentStore(db.engine).history("intent", KEY)] == [wins[0].body]


def test_writers_on_different_documents_all_succeed(db) -> None:
    store = ContentStore(db.engine)
    for i in range(WRITERS):
        store.save("intent", f"intent_{i}", "v1\n", author="seed", base_version=None)

    # Each writer reads (the version check) and then writes, several times over.
    def attempt(s: ContentStore, i: int) -> Version:
        last = None
        for n in range(2, 6):
            last = s.save("intent", f"intent_{i}", f"v{n}\n", author=f"e{i}", base_version=n - 1)
        assert last is not None
        return last

    results = _race(db, attempt)

    assert all(isinstance(r, Version) and r.version == 5 for r in results)
    assert store.revision() == WRITERS + WRITERS * 4


def test_two_admins_demoting_each_other_leave_one_admin(db, fast_hasher) -> None:
    setup = AccountStore(db.engine, hasher=fast_hasher)
    setup.create_user("ann", "password one", "admin")
    setup.create_user("ben", "password two", "admin")
    stores = [AccountStore(db.new_engine(), hasher=fast_hasher) for _ in range(2)]
    barrier = threading.Barrier(2)

    def demote(store: AccountStore, username: str) -> str:
        barrier.wait()
        try:
            store.set_role(username, "editor")
            return "demoted"
        except InvalidOperation:
            return "refused"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(demote, stores, ["ann", "ben"]))

    assert sorted(outcomes) == ["demoted", "refused"]
    assert [u.role for u in setup.list_users()].count("admin") == 1
