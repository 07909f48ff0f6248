"""Accounts and credentials: users with argon2id passwords, API keys, web login sessions, the setup token.

Secrets are never stored: passwords as argon2id hashes, API keys, session tokens
and setup tokens as sha256 (see ``tokens``).  Nothing here logs a username,
password, key or token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.db import reader, transaction
from app.store.errors import AlreadyExists, InvalidOperation, NotFound
from app.store.models import ApiKeyRow, SessionRow, SetupTokenRow, UserRow
from app.store.roles import Role, check_role
from app.store.tokens import API_KEY_PREFIX, API_KEY_SHOWN, new_token, token_hash

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME_LENGTH = 64
#: ``last_used_at`` of an API key is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key as listed; ``prefix`` is its first characters, the rest is never shown again."""

    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class SessionInfo:
    """A live web session: whose it is, their current role, and the CSRF token of its forms."""

    username: str
    role: Role
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _check_username(username: str) -> None:
    if (
        not username
        or username != username.strip()
        or len(username) > MAX_USERNAME_LENGTH
        or any(not ch.isprintable() for ch in username)
    ):
        raise ValueError(f"用户名应为1到{MAX_USERNAME_LENGTH}个可见字符，首尾不能有空格")


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(f"密码长度应为{MIN_PASSWORD_LENGTH}到{MAX_PASSWORD_LENGTH}个字符")


def _user(row: UserRow) -> User:
    return User(
        username=row.username,
        role=check_role(row.role),
        created_at=row.created_at,
        disabled=row.disabled,
    )


def _key_info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=check_role(row.role),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class AccountStore:
    """Users, API keys, sessions and setup tokens in the database behind ``engine``.

    ``hasher`` defaults to argon2-cffi's ``PasswordHasher()`` (argon2id, its current
    recommended parameters); passwords hashed with other parameters are rehashed
    on the next successful login.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        session_ttl: timedelta = timedelta(hours=12),
        setup_token_ttl: timedelta = timedelta(hours=24),
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = _now,
    ):
        self._engine = engine
        self._reader = reader(engine)
        self.session_ttl = session_ttl
        self.setup_token_ttl = setup_token_ttl
        self._hasher = hasher or PasswordHasher()
        self._clock = clock
        self._dummy_hash: str | None = None

    # -- users ---------------------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str) -> User:
        """Create a user; ``AlreadyExists`` if the name is taken, ``ValueError`` for a bad name/password/role."""
        _check_username(username)
        _check_password(password)
        check_role(role)
        password_hash = self._hasher.hash(password)  # slow: before taking any lock
        try:
            with transaction(self._engine) as s:
                return self._insert_user(s, username, password_hash, role)
        except IntegrityError:  # a concurrent create of the same name (PostgreSQL)
            raise AlreadyExists(f"用户名已存在：{username}") from None

    def get_user(self, username: str) -> User | None:
        with transaction(self._reader) as s:
            row = _user_row(s, username)
            return _user(row) if row is not None else None

    def list_users(self) -> list[User]:
        with transaction(self._reader) as s:
            return [_user(row) for row in s.scalars(select(UserRow).order_by(UserRow.username))]

    def verify_password(self, username: str, password: str) -> User | None:
        """The user if the password is right and the account enabled, else ``None``.

        An unknown user costs one argon2 verification too, so timing does not tell
        which usernames exist.
        """
        with transaction(self._reader) as s:
            row = _user_row(s, username)
            stored = row.password_hash if row is not None else None
            user = _user(row) if row is not None else None
        if stored is None or user is None or len(password) > MAX_PASSWORD_LENGTH:
            self._verify(self._dummy(), password)
            return None
        if not self._verify(stored, password) or user.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            new_hash = self._hasher.hash(password)
            with transaction(self._engine) as s:
                # Only if unchanged meanwhile: never undo a concurrent set_password.
                s.execute(
                    update(UserRow)
                    .where(UserRow.username == username, UserRow.password_hash == stored)
                    .values(password_hash=new_hash)
                )
        return user

    def set_password(self, username: str, password: str) -> None:
        """Change the password and end all of the user's sessions; ``NotFound`` if no such user."""
        _check_password(password)
        password_hash = self._hasher.hash(password)
        with transaction(self._engine) as s:
            row = _user_row(s, username, lock=True)
            if row is None:
                raise NotFound("user", username)
            row.password_hash = password_hash
            s.execute(delete(SessionRow).where(SessionRow.username == username))

    def set_role(self, username: str, role: str) -> User:
        """Change a user's role; ``InvalidOperation`` if it would leave no enabled admin."""
        check_role(role)
        with transaction(self._engine) as s:
            _lock_admins(s)
            row = _user_row(s, username, lock=True)
            if row is None:
                raise NotFound("user", username)
            if role != "admin":
                _keep_an_admin(s, row)
            row.role = role
            return _user(row)

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (ending all sessions) or re-enable a user; the last enabled admin cannot be disabled."""
        with transaction(self._engine) as s:
            _lock_admins(s)
            row = _user_row(s, username, lock=True)
            if row is None:
                raise NotFound("user", username)
            if disabled:
                _keep_an_admin(s, row)
                s.execute(delete(SessionRow).where(SessionRow.username == username))
            row.disabled = disabled
            return _user(row)

    def has_admin(self) -> bool:
        """True if at least one enabled admin exists (else the server offers first-start setup)."""
        with transaction(self._reader) as s:
            return _count_admins(s) > 0

    # -- API keys ------------------------------------------------------------------------

    def create_api_key(self, name: str, role: str) -> tuple[str, ApiKeyInfo]:
        """A new key ``shk_…``: returns the plaintext (show it once; it is not stored) and its info."""
        name = name.strip()
        if not name or len(name) > 100:
            raise ValueError("API key 名称应为1到100个字符")
        check_role(role)
        key = new_token(API_KEY_PREFIX)
        with transaction(self._engine) as s:
            row = ApiKeyRow(
                name=name,
                prefix=key[:API_KEY_SHOWN],
                key_hash=token_hash(key),
                role=role,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            info = _key_info(row)
        log.info("API key %d created (role %s)", info.id, info.role)
        return key, info

    def verify_api_key(self, key: str) -> ApiKeyInfo | None:
        """The key's info if ``key`` is a live (not revoked) key, else ``None``; records its use."""
        if not key.startswith(API_KEY_PREFIX):
            return None
        digest = token_hash(key)
        with transaction(self._reader) as s:
            row = s.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest)).one_or_none()
            info = _key_info(row) if row is not None else None
        if info is None or info.revoked:
            return None
        now = self._clock()
        if info.last_used_at is None or now - info.last_used_at >= LAST_USED_RESOLUTION:
            with transaction(self._engine) as s:
                s.execute(update(ApiKeyRow).where(ApiKeyRow.id == info.id).values(last_used_at=now))
        return info

    def revoke_api_key(self, id_or_prefix: int | str) -> ApiKeyInfo:
        """Revoke a key by id or by its shown prefix (idempotent); ``NotFound`` if no single key matches."""
        with transaction(self._engine) as s:
            if isinstance(id_or_prefix, int):
                rows = list(s.scalars(select(ApiKeyRow).where(ApiKeyRow.id == id_or_prefix)))
            else:
                rows = list(s.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == id_or_prefix)))
            if len(rows) != 1:
                raise NotFound("api_key", str(id_or_prefix))
            row = rows[0]
            if row.revoked_at is None:
                row.revoked_at = self._clock()
            info = _key_info(row)
        log.info("API key %d revoked", info.id)
        return info

    def list_api_keys(self, *, include_revoked: bool = True) -> list[ApiKeyInfo]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with transaction(self._reader) as s:
            return [_key_info(row) for row in s.scalars(query)]

    # -- sessions ------------------------------------------------------------------------

    def create_session(self, username: str) -> tuple[str, str]:
        """Start a web session for an enabled user: ``(session_token, csrf_token)``; expires after ``session_ttl``."""
        token, csrf = new_token(), new_token()
        now = self._clock()
        with transaction(self._engine) as s:
            row = _user_row(s, username)
            if row is None:
                raise NotFound("user", username)
            if row.disabled:
                raise InvalidOperation("账号已停用")
            s.add(
                SessionRow(
                    token_hash=token_hash(token),
                    username=username,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )
        return token, csrf

    def get_session(self, token: str) -> SessionInfo | None:
        """The session for ``token`` if it exists, has not expired and its user is enabled."""
        digest = token_hash(token)
        with transaction(self._reader) as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.username == SessionRow.username)
                .where(SessionRow.token_hash == digest)
            ).one_or_none()
            if found is None:
                return None
            session_row, user_row = found
            info = SessionInfo(
                username=session_row.username,
                role=check_role(user_row.role),
                csrf_token=session_row.csrf_token,
                created_at=session_row.created_at,
                expires_at=session_row.expires_at,
            )
            disabled = user_row.disabled
        if info.expires_at <= self._clock():
            self.delete_session(token)
            return None
        return None if disabled else info

    def delete_session(self, token: str) -> bool:
        """End a session (log out); True if it existed."""
        with transaction(self._engine) as s:
            result = s.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash(token)))
            return bool(result.rowcount)

    def purge_expired_sessions(self) -> int:
        """Delete every expired session; returns how many."""
        with transaction(self._engine) as s:
            result = s.execute(delete(SessionRow).where(SessionRow.expires_at <= self._clock()))
            return result.rowcount

    # -- first start ---------------------------------------------------------------------

    def create_setup_token(self) -> str:
        """A one-time token (stored hashed) that allows creating the first admin.

        ``InvalidOperation`` if an enabled admin already exists.  Earlier unused
        tokens stay valid until they expire or any one token is used.
        """
        token = new_token()
        now = self._clock()
        with transaction(self._engine) as s:
            if _count_admins(s) > 0:
                raise InvalidOperation("已有管理员，无需初始化")
            s.add(
                SetupTokenRow(
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=now + self.setup_token_ttl,
                )
            )
        return token

    def consume_setup_token(self, token: str) -> bool:
        """Use up a setup token: True once for a valid unexpired token while no admin exists."""
        with transaction(self._engine) as s:
            return self._consume(s, token)

    def create_first_admin(self, token: str, username: str, password: str) -> User:
        """Atomically use up the setup token and create an admin; ``InvalidOperation`` if the token is not valid."""
        _check_username(username)
        _check_password(password)
        password_hash = self._hasher.hash(password)
        try:
            with transaction(self._engine) as s:
                if not self._consume(s, token):
                    raise InvalidOperation("初始化口令无效、已过期或已使用")
                user = self._insert_user(s, username, password_hash, "admin")
        except IntegrityError:
            raise AlreadyExists(f"用户名已存在：{username}") from None
        log.info("first admin created with the setup token")
        return user

    # -- helpers -------------------------------------------------------------------------

    def _insert_user(self, s: Session, username: str, password_hash: str, role: str) -> User:
        if _user_row(s, username) is not None:
            raise AlreadyExists(f"用户名已存在：{username}")
        row = UserRow(
            username=username, password_hash=password_hash, role=role, created_at=self._clock()
        )
        s.add(row)
        s.flush()
        log.info("user created (role %s)", role)
        return _user(row)

    def _consume(self, s: Session, token: str) -> bool:
        row = s.get(SetupTokenRow, token_hash(token), with_for_update=True)
        if row is None or row.expires_at <= self._clock() or _count_admins(s) > 0:
            return False
        s.execute(delete(SetupTokenRow))  # setup happens once: every other token dies too
        return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(new_token())
        return self._dummy_hash


def _user_row(s: Session, username: str, *, lock: bool = False) -> UserRow | None:
    query = select(UserRow).where(UserRow.username == username)
    if lock:
        query = query.with_for_update()
    return s.scalars(query).one_or_none()


def _count_admins(s: Session) -> int:
    query = (
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == "admin", UserRow.disabled.is_(False))
    )
    return s.scalar(query) or 0


def _lock_admins(s: Session) -> None:
    """Lock every enabled admin row, always in id order, before changing any user's role or status.

    Two admins demoting each other at once then queue instead of both succeeding
    (no admin left) or deadlocking.  A no-op on SQLite, where writers are serialised.
    """
    query = (
        select(UserRow.id)
        .where(UserRow.role == "admin", UserRow.disabled.is_(False))
        .order_by(UserRow.id)
        .with_for_update()
    )
    s.scalars(query).all()


def _keep_an_admin(s: Session, row: UserRow) -> None:
    """Refuse to demote or disable ``row`` if it is the only enabled admin (rows locked by ``_lock_admins``)."""
    if row.role != "admin" or row.disabled:
        return
    others = (
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == "admin", UserRow.disabled.is_(False), UserRow.id != row.id)
    )
    if not s.scalar(others):
        raise InvalidOperation("至少要保留一名启用的管理员")
