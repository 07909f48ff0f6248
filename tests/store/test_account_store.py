"""AccountStore on both backends: passwords, roles, API keys, sessions, the first-start setup token."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.store.accounts import AccountStore
from app.store.db import transaction
from app.store.errors import AlreadyExists, InvalidOperation, NotFound
from app.store.models import ApiKeyRow, SessionRow, SetupTokenRow, UserRow
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
    assert not accounts.consume_setup_token(token)
    with pytest.raises(InvalidOperation):
        accounts.create_setup_token()
    assert [u.username for u in accounts.list_users()] == ["root"]


def test_consume_setup_token_is_single_use(accounts: AccountStore) -> None:
    first = accounts.create_setup_token()
    second = accounts.create_setup_token()
    assert not accounts.consume_setup_token("guess")
    assert accounts.consume_setup_token(second)
    assert not accounts.consume_setup_token(second)
    assert not accounts.consume_setup_token(first)  # setup is done: every token is spent


def test_setup_token_expires(accounts: AccountStore, clock) -> None:
    token = accounts.create_setup_token()
    clock.advance(accounts.setup_token_ttl + timedelta(seconds=1))
    assert not accounts.consume_setup_token(token)
