"""AccountStore on both backends: passwords, roles, API keys, sessions, the first-start setup token."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import make_url, select, text

from app.store import lockout
from app.store.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, AccountStore
from app.store.db import create_tables, transaction
from app.store.errors import (
    AccountLocked,
    AlreadyExists,
    InvalidField,
    InvalidOperation,
    LoginThrottled,
    NotFound,
)
from app.store.models import ApiKeyRow, LoginFailureRow, SessionRow, SetupTokenRow, UserRow
from app.store.roles import ROLES, role_allows

PASSWORD = "correct horse 电池"


def _stored(db, model, **where):
    with transaction(db.engine) as s:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(s.scalars(query))


# -- users and passwords -------------------------------------------------------------------


def test_password_is_verified_and_stored_as_argon2id(db, accounts: AccountStore) -> None:
    created = accounts.create_user("小王", PASSWORD, "editor")
    assert (created.username, created.role, created.disabled) == ("小王", "editor", False)

    user = accounts.verify_password("小王", PASSWORD)
    assert user is not None and user.role == "editor"
    assert accounts.verify_password("小王", PASSWORD + "x") is None
    assert accounts.verify_password("小王", "") is None
    assert accounts.verify_password("nobody", PASSWORD) is None

    (row,) = _stored(db, UserRow, username="小王")
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash


def test_bad_users_are_refused(accounts: AccountStore) -> None:
    accounts.create_user("alice", PASSWORD, "agent")
    with pytest.raises(AlreadyExists):
        accounts.create_user("alice", PASSWORD, "admin")
    with pytest.raises(ValueError):
        accounts.create_user("bob", "short", "agent")
    with pytest.raises(ValueError):
        accounts.create_user("bob", PASSWORD, "superuser")
    for name in ("", " bob", "b\nob", "x" * 65):
        with pytest.raises(ValueError):
            accounts.create_user(name, PASSWORD, "agent")
    assert [u.username for u in accounts.list_users()] == ["alice"]


def test_hash_is_upgraded_when_parameters_change(db, clock, fast_hasher: PasswordHasher) -> None:
    weak = AccountStore(
        db.engine, hasher=PasswordHasher(time_cost=1, memory_cost=512, parallelism=1), clock=clock
    )
    weak.create_user("alice", PASSWORD, "agent")
    (before,) = _stored(db, UserRow, username="alice")

    stronger = AccountStore(db.engine, hasher=fast_hasher, clock=clock)
    assert stronger.verify_password("alice", "wrong password") is None
    assert _stored(db, UserRow, username="alice")[0].password_hash == before.password_hash

    assert stronger.verify_password("alice", PASSWORD) is not None
    (after,) = _stored(db, UserRow, username="alice")
    assert after.password_hash != before.password_hash
    assert "m=1024" in after.password_hash and "m=512" in before.password_hash
    assert stronger.verify_password("alice", PASSWORD) is not None


def test_set_password_replaces_the_old_one_and_ends_sessions(accounts: AccountStore) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    token, _ = accounts.create_session("alice")
    accounts.set_password("alice", "a new password")
    assert accounts.verify_password("alice", PASSWORD) is None
    assert accounts.verify_password("alice", "a new password") is not None
    assert accounts.get_session(token) is None
    with pytest.raises(NotFound):
        accounts.set_password("nobody", "a new password")


def test_disabled_users_cannot_log_in_or_keep_sessions(accounts: AccountStore) -> None:
    accounts.create_user("root", PASSWORD, "admin")
    accounts.create_user("alice", PASSWORD, "agent")
    token, _ = accounts.create_session("alice")
    assert accounts.set_disabled("alice", True).disabled
    assert accounts.verify_password("alice", PASSWORD) is None
    assert accounts.get_session(token) is None
    with pytest.raises(InvalidOperation):
        accounts.create_session("alice")
    accounts.set_disabled("alice", False)
    assert accounts.verify_password("alice", PASSWORD) is not None


def test_the_last_enabled_admin_cannot_be_removed(accounts: AccountStore) -> None:
    assert not accounts.has_admin()
    accounts.create_user("root", PASSWORD, "admin")
    assert accounts.has_admin()
    with pytest.raises(InvalidOperation):
        accounts.set_role("root", "editor")
    with pytest.raises(InvalidOperation):
        accounts.set_disabled("root", True)

    accounts.create_user("second", PASSWORD, "admin")
    assert accounts.set_role("root", "editor").role == "editor"
    with pytest.raises(InvalidOperation):
        accounts.set_disabled("second", True)
    assert accounts.has_admin()


def test_roles_are_ordered() -> None:
    assert ROLES == ("agent", "editor", "admin")
    assert role_allows("admin", "editor") and role_allows("editor", "editor")
    assert not role_allows("agent", "editor") and not role_allows("editor", "admin")
    assert not role_allows("root", "agent")
    with pytest.raises(ValueError):
        role_allows("admin", "root")


# -- API keys ------------------------------------------------------------------------------


def test_api_key_verifies_and_only_its_hash_is_stored(db, accounts: AccountStore, clock) -> None:
    key, info = accounts.create_api_key("千牛插件", "agent")
    assert key.startswith("shk_") and len(key) >= 4 + 43
    assert info.prefix == key[:12] and info.role == "agent" and not info.revoked

    verified = accounts.verify_api_key(key)
    assert verified is not None and (verified.id, verified.name) == (info.id, "千牛插件")
    (row,) = _stored(db, ApiKeyRow, id=info.id)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() != key
    assert all(key not in str(value) for value in (row.name, row.prefix, row.key_hash, row.role))
    assert row.last_used_at == clock.now

    assert accounts.verify_api_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert accounts.verify_api_key("not-a-key") is None
    assert accounts.verify_api_key("") is None


def test_revoked_keys_fail(accounts: AccountStore) -> None:
    key1, info1 = accounts.create_api_key("bot one", "agent")
    key2, info2 = accounts.create_api_key("bot two", "editor")

    assert accounts.revoke_api_key(info1.prefix).revoked
    assert accounts.verify_api_key(key1) is None
    assert accounts.verify_api_key(key2) is not None
    accounts.revoke_api_key(info2.id)
    assert accounts.verify_api_key(key2) is None
    assert accounts.revoke_api_key(info2.id).revoked  # revoking twice is harmless

    with pytest.raises(NotFound):
        accounts.revoke_api_key("shk_nonexist")
    assert [k.revoked for k in accounts.list_api_keys()] == [True, True]
    assert accounts.list_api_keys(include_revoked=False) == []


# -- sessions ------------------------------------------------------------------------------


def test_sessions_carry_user_role_and_csrf_and_expire(db, accounts: AccountStore, clock) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    token, csrf = accounts.create_session("alice")
    assert token != csrf

    found = accounts.get_session(token)
    assert found is not None
    assert (found.username, found.role, found.csrf_token) == ("alice", "editor", csrf)
    assert found.expires_at == clock.now + timedelta(hours=12)
    (row,) = _stored(db, SessionRow, username="alice")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token

    clock.advance(timedelta(hours=11, minutes=59))
    assert accounts.get_session(token) is not None
    clock.advance(timedelta(minutes=1))
    assert accounts.get_session(token) is None
    assert _stored(db, SessionRow, username="alice") == []


def test_logout_and_unknown_tokens(accounts: AccountStore) -> None:
    accounts.create_user("alice", PASSWORD, "agent")
    token, _ = accounts.create_session("alice")
    assert accounts.get_session("made-up") is None
    assert accounts.delete_session(token)
    assert accounts.get_session(token) is None
    assert not accounts.delete_session(token)
    with pytest.raises(NotFound):
        accounts.create_session("nobody")


def test_session_sees_role_changes_and_expired_ones_are_purged(
    accounts: AccountStore, clock
) -> None:
    accounts.create_user("root", PASSWORD, "admin")
    accounts.create_user("alice", PASSWORD, "agent")
    token, _ = accounts.create_session("alice")
    accounts.set_role("alice", "editor")
    assert accounts.get_session(token).role == "editor"

    accounts.create_session("root")
    clock.advance(timedelta(hours=13))
    assert accounts.purge_expired_sessions() == 2


# -- first start ---------------------------------------------------------------------------


def test_setup_token_creates_the_first_admin_once(db, accounts: AccountStore) -> None:
    assert not accounts.has_admin()
    token = accounts.create_setup_token()
    (row,) = _stored(db, SetupTokenRow)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token

    with pytest.raises(InvalidOperation):
        accounts.create_first_admin("wrong", "root", PASSWORD)
    admin = accounts.create_first_admin(token, "root", PASSWORD)
    assert admin.role == "admin" and accounts.has_admin()
    assert accounts.verify_password("root", PASSWORD) is not None

    with pytest.raises(InvalidOperation):
        accounts.create_first_admin(token, "root2", PASSWORD)
    with pytest.raises(InvalidOperation):
        accounts.create_setup_token()
    assert [u.username for u in accounts.list_users()] == ["root"]


def test_any_setup_token_creates_the_first_admin_and_then_none_does(accounts: AccountStore) -> None:
    first = accounts.create_setup_token()
    second = accounts.create_setup_token()
    with pytest.raises(InvalidOperation):
        accounts.create_first_admin("guess", "root", PASSWORD)
    accounts.create_first_admin(second, "root", PASSWORD)
    for token in (second, first):  # setup is done: every token is spent
        with pytest.raises(InvalidOperation):
            accounts.create_first_admin(token, "root2", PASSWORD)
    assert [u.username for u in accounts.list_users()] == ["root"]


def test_setup_token_expires(accounts: AccountStore, clock) -> None:
    token = accounts.create_setup_token()
    clock.advance(accounts.setup_token_ttl + timedelta(seconds=1))
    with pytest.raises(InvalidOperation):
        accounts.create_first_admin(token, "root", PASSWORD)
    assert not accounts.has_admin()


# -- throttling wrong passwords ------------------------------------------------------------


def _attempt(accounts: AccountStore, username: str, password: str):
    """One login as the server does it: admit (counted as a failure), check, clear on success."""
    accounts.begin_login(username)
    user = accounts.verify_password(username, password)
    if user is not None:
        accounts.login_succeeded(username)
    return user


def test_wrong_passwords_back_off_then_lock_until_an_admin_unlocks(accounts: AccountStore, clock) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    for _ in range(lockout.BACKOFF_AFTER):
        assert _attempt(accounts, "alice", "wrong password") is None
    with pytest.raises(LoginThrottled) as waited:
        accounts.begin_login("alice")  # refused before any password is checked
    assert waited.value.retry_after == 2
    clock.advance(timedelta(seconds=2))
    assert _attempt(accounts, "alice", "wrong password") is None
    with pytest.raises(LoginThrottled) as waited:
        accounts.begin_login("alice")
    assert waited.value.retry_after == 4  # the wait doubles with each failure

    while True:
        clock.advance(lockout.MAX_BACKOFF)
        try:
            _attempt(accounts, "alice", "wrong password")
        except AccountLocked:
            break
    assert accounts.get_user("alice").locked
    assert [u.locked for u in accounts.list_users()] == [True]
    clock.advance(timedelta(days=30))  # a lock does not wear off
    with pytest.raises(AccountLocked):
        _attempt(accounts, "alice", PASSWORD)

    assert not accounts.unlock("alice").locked
    assert _attempt(accounts, "alice", PASSWORD) is not None
    with pytest.raises(NotFound):
        accounts.unlock("nobody")


def test_a_right_password_starts_the_count_again(accounts: AccountStore) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    for _ in range(lockout.BACKOFF_AFTER - 1):
        assert _attempt(accounts, "alice", "wrong password") is None
    assert _attempt(accounts, "alice", PASSWORD) is not None
    for _ in range(lockout.BACKOFF_AFTER):
        assert _attempt(accounts, "alice", "wrong password") is None
    with pytest.raises(LoginThrottled):
        accounts.begin_login("alice")


def test_a_new_password_unlocks(accounts: AccountStore, clock) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    for _ in range(lockout.LOCK_AFTER):
        clock.advance(lockout.MAX_BACKOFF)
        accounts.begin_login("alice")
    assert accounts.get_user("alice").locked
    accounts.set_password("alice", "a brand new password")
    assert _attempt(accounts, "alice", "a brand new password") is not None


def test_parallel_guesses_cannot_slip_past_the_back_off(db, accounts: AccountStore) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    results: list[str] = []

    def guess() -> None:
        try:
            accounts.begin_login("alice")
            results.append("admitted")
        except LoginThrottled:
            results.append("throttled")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("admitted") == lockout.BACKOFF_AFTER, results


def test_unknown_usernames_leave_nothing_in_the_store(db, accounts: AccountStore) -> None:
    for _ in range(30):
        assert accounts.begin_login("nobody") == 0
    assert _stored(db, LoginFailureRow) == []


def test_a_database_made_before_lockout_gets_its_table(db, accounts: AccountStore) -> None:
    accounts.create_user("alice", PASSWORD, "editor")
    LoginFailureRow.__table__.drop(db.engine)
    create_tables(db.engine)  # what every server start does
    assert accounts.begin_login("alice") == 1
    assert accounts.get_user("alice").username == "alice"


def test_one_password_length_rule(accounts: AccountStore) -> None:
    with pytest.raises(InvalidField) as short:
        accounts.create_user("alice", "x" * (MIN_PASSWORD_LENGTH - 1), "editor")
    assert short.value.field == "password" and f"至少 {MIN_PASSWORD_LENGTH} 个字符" in str(short.value)
    with pytest.raises(InvalidField, match=f"不能超过 {MAX_PASSWORD_LENGTH} 个字符"):
        accounts.create_user("alice", "x" * (MAX_PASSWORD_LENGTH + 1), "editor")
    longest = "长" * MAX_PASSWORD_LENGTH
    accounts.create_user("alice", longest, "editor")
    assert accounts.verify_password("alice", longest) is not None


# -- bookkeeping never waits for a lock ----------------------------------------------------


@contextmanager
def _write_lock_elsewhere(db, api_key_id: int | None = None):
    """Another connection holds the lock our write needs: SQLite's write lock, or the key's row on PostgreSQL."""
    if db.backend == "sqlite":
        other = sqlite3.connect(make_url(db.url).database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with db.new_engine().connect() as conn:
        if api_key_id is not None:
            conn.execute(text("SELECT id FROM api_keys WHERE id = :id FOR UPDATE"), {"id": api_key_id})
        else:
            conn.execute(text("LOCK TABLE sessions IN EXCLUSIVE MODE"))
        yield
        conn.rollback()


def _finishes_while_locked(work):
    """Run ``work`` in a thread; its result, or fail if it is still waiting after a generous 10 s."""
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(result=work()), daemon=True)
    t0 = time.perf_counter()
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "queued behind the lock instead of skipping the bookkeeping"
    return out["result"], time.perf_counter() - t0


def test_api_key_use_is_not_held_up_by_a_busy_database(db, accounts: AccountStore, clock) -> None:
    key, info = accounts.create_api_key("千牛插件", "agent")
    with _write_lock_elsewhere(db, info.id):
        verified, waited = _finishes_while_locked(lambda: accounts.verify_api_key(key))
    print(f"verify_api_key with the lock held elsewhere ({db.backend}): {waited * 1000:.0f} ms")
    assert verified is not None and verified.id == info.id
    assert accounts.list_api_keys()[0].last_used_at is None  # skipped, not waited for
    assert accounts.verify_api_key(key) is not None  # recorded once the lock is free
    assert accounts.list_api_keys()[0].last_used_at == clock.now


def test_an_expired_session_is_refused_while_the_database_is_busy(db, accounts: AccountStore, clock) -> None:
    accounts.create_user("alice", PASSWORD, "agent")
    token, _ = accounts.create_session("alice")
    clock.advance(timedelta(hours=13))
    with _write_lock_elsewhere(db):
        found, _ = _finishes_while_locked(lambda: accounts.get_session(token))
    assert found is None
    assert accounts.purge_expired_sessions() == 1  # the row left behind goes with the next purge


def test_no_wait_before_the_back_off_even_if_a_parallel_attempt_stamped_a_later_time(clock) -> None:
    later = clock.now + timedelta(milliseconds=300)
    assert lockout.retry_after(lockout.BACKOFF_AFTER - 1, later, clock.now) == 0
    assert lockout.retry_after(lockout.BACKOFF_AFTER, clock.now, clock.now) == 2
    assert lockout.retry_after(lockout.BACKOFF_AFTER + 30, clock.now, clock.now) == 15 * 60
