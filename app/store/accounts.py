"""Accounts and credentials: users with argon2id passwords, API keys, web login sessions, the setup token.

Secrets are never stored: passwords as argon2id hashes, API keys, session tokens
and setup tokens as sha256 (see ``tokens``).  Nothing here logs a username,
password, key or token.  Wrong passwords in a row are counted per user
(``begin_login``): after a few each attempt must wait, after many the account is
locked until an admin unlocks it (the policy is in ``lockout``).

Every method is blocking (argon2 and database work): call them from a worker
thread, never on the server's event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.store import lockout
from app.store.db import insert_ignore, is_busy, reader, short_wait, transaction
from app.store.errors import (
    AccountLocked,
    AlreadyExists,
    InvalidField,
    InvalidOperation,
    LoginThrottled,
    NotFound,
)
from app.store.models import (
    ApiKeyRow,
    LoginFailureRow,
    SessionRow,
    SetupTokenRow,
    UserProfileRow,
    UserRow,
)
from app.store.roles import Role, check_role
from app.store.tokens import API_KEY_PREFIX, API_KEY_SHOWN, new_token, token_hash

log = logging.getLogger(__name__)

#: The one password length rule: for new passwords everywhere (API, pages, CLI); a login
#: with a longer password is refused before it is hashed.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME_LENGTH = 64
#: The nickname an agent signs replies with (【客服昵称】).
MAX_NICKNAME_LENGTH = 20
#: ``last_used_at`` of an API key is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    created_at: datetime
    disabled: bool = False
    #: Locked after ``lockout.LOCK_AFTER`` wrong passwords in a row, until an admin unlocks it.
    locked: bool = False


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
    #: The name the user set for themselves (fills 【客服昵称】), or None.
    nickname: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _check_username(username: str) -> None:
    if (
        not username
        or username != username.strip()
        or len(username) > MAX_USERNAME_LENGTH
        or any(not ch.isprintable() for ch in username)
    ):
        raise InvalidField("username", f"用户名应为1到{MAX_USERNAME_LENGTH}个可见字符，首尾不能有空格")


def _check_nickname(nickname: str) -> str:
    nickname = nickname.strip()
    if not nickname or len(nickname) > MAX_NICKNAME_LENGTH:
        raise InvalidField("nickname", f"昵称应为 1 到 {MAX_NICKNAME_LENGTH} 个字符")
    if any(not ch.isprintable() for ch in nickname):
        raise InvalidField("nickname", "昵称不能含换行或控制字符")
    return nickname


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a new password (a message naming the field), or ``None`` if it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 个字符"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符"
    return None


def _check_password(password: str) -> None:
    if (problem := password_problem(password)) is not None:
        raise InvalidField("password", problem)


def _user(row: UserRow, failures: int | None = None) -> User:
    return User(
        username=row.username,
        role=check_role(row.role),
        created_at=row.created_at,
        disabled=row.disabled,
        locked=(failures or 0) >= lockout.LOCK_AFTER,
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
    on the next successful login.  ``clock`` (public so tests can move time) gives
    every timestamp.
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
        #: For bookkeeping that is skipped rather than waited for when another writer holds the lock.
        self._best_effort = short_wait(engine)
        self.session_ttl = session_ttl
        self.setup_token_ttl = setup_token_ttl
        self._hasher = hasher or PasswordHasher()
        self.clock = clock
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
            return _user(row, _failures(s, username)) if row is not None else None

    def list_users(self) -> list[User]:
        query = (
            select(UserRow, LoginFailureRow.failures)
            .outerjoin(LoginFailureRow, LoginFailureRow.username == UserRow.username)
            .order_by(UserRow.username)
        )
        with transaction(self._reader) as s:
            return [_user(row, failures) for row, failures in s.execute(query)]

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
        """Change the password, end all of the user's sessions and unlock it; ``NotFound`` if no such user."""
        _check_password(password)
        password_hash = self._hasher.hash(password)
        with transaction(self._engine) as s:
            row = _user_row(s, username, lock=True)
            if row is None:
                raise NotFound("user", username)
            row.password_hash = password_hash
            s.execute(delete(SessionRow).where(SessionRow.username == username))
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))

    def get_nickname(self, username: str) -> str | None:
        """The nickname the user set for themselves, or ``None``."""
        with transaction(self._reader) as s:
            row = s.get(UserProfileRow, username)
            return row.nickname if row is not None else None

    def set_nickname(self, username: str, nickname: str) -> str:
        """Set the user's nickname (1–20 characters, trimmed); ``NotFound`` if no such user."""
        nickname = _check_nickname(nickname)
        with transaction(self._engine) as s:
            if _user_row(s, username, lock=True) is None:
                raise NotFound("user", username)
            row = s.get(UserProfileRow, username)
            if row is None:
                s.add(UserProfileRow(username=username, nickname=nickname, updated_at=self.clock()))
            else:
                row.nickname, row.updated_at = nickname, self.clock()
        return nickname

    # -- login throttling ----------------------------------------------------------------

    def begin_login(self, username: str) -> int:
        """Admit a password attempt for ``username``, counting it as a failure until ``login_succeeded``.

        Raises ``AccountLocked`` after ``lockout.LOCK_AFTER`` failures in a row and
        ``LoginThrottled`` while the back-off after the last failure runs; both
        before any password is checked.  Returns the failures in a row including
        this attempt (0 for a username that does not exist: nothing is stored for it).
        """
        with transaction(self._engine) as s:
            if _user_row(s, username) is None:
                return 0
            insert_ignore(s, LoginFailureRow.__table__, {"username": username, "failures": 0})
            row = s.get(LoginFailureRow, username, with_for_update=True)
            assert row is not None
            now = self.clock()  # read under the lock: no concurrent attempt stamps a later time first
            if row.failures >= lockout.LOCK_AFTER:
                raise AccountLocked()
            if wait := lockout.retry_after(row.failures, row.last_failure_at, now):
                raise LoginThrottled(wait)
            row.failures += 1
            row.last_failure_at = now
            return row.failures

    def login_succeeded(self, username: str) -> None:
        """The password was right: the count of failures in a row starts again from zero."""
        with transaction(self._engine) as s:
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))

    def unlock(self, username: str) -> User:
        """Clear a user's wrong-password count and lock (admins); ``NotFound`` if no such user."""
        with transaction(self._engine) as s:
            row = _user_row(s, username)
            if row is None:
                raise NotFound("user", username)
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))
            user = _user(row)
        log.info("login failures cleared for a user (admin unlock)")
        return user

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
            return _user(row, _failures(s, username))

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
            return _user(row, _failures(s, username))

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
                created_at=self.clock(),
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
        now = self.clock()
        if info.last_used_at is None or now - info.last_used_at >= LAST_USED_RESOLUTION:
            # Best effort: a request is never held up (or failed) for this bookkeeping.
            try:
                with transaction(self._best_effort) as s:
                    s.execute(update(ApiKeyRow).where(ApiKeyRow.id == info.id).values(last_used_at=now))
            except OperationalError as e:
                if not is_busy(e):
                    raise
                log.info("API key %d: last use not recorded, the database is busy", info.id)
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
                row.revoked_at = self.clock()
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
        now = self.clock()
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
                select(SessionRow, UserRow, UserProfileRow.nickname)
                .join(UserRow, UserRow.username == SessionRow.username)
                .outerjoin(UserProfileRow, UserProfileRow.username == SessionRow.username)
                .where(SessionRow.token_hash == digest)
            ).one_or_none()
            if found is None:
                return None
            session_row, user_row, nickname = found
            info = SessionInfo(
                username=session_row.username,
                role=check_role(user_row.role),
                csrf_token=session_row.csrf_token,
                created_at=session_row.created_at,
                expires_at=session_row.expires_at,
                nickname=nickname,
            )
            disabled = user_row.disabled
        if info.expires_at <= self.clock():
            # Refused either way; removing the row can wait for ``purge_expired_sessions`` if the database is busy.
            try:
                with transaction(self._best_effort) as s:
                    s.execute(delete(SessionRow).where(SessionRow.token_hash == digest))
            except OperationalError as e:
                if not is_busy(e):
                    raise
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
            result = s.execute(delete(SessionRow).where(SessionRow.expires_at <= self.clock()))
            return result.rowcount

    # -- first start ---------------------------------------------------------------------

    def create_setup_token(self) -> str:
        """A one-time token (stored hashed) that allows creating the first admin.

        ``InvalidOperation`` if an enabled admin already exists.  Earlier unused
        tokens stay valid until they expire or any one token is used.
        """
        token = new_token()
        now = self.clock()
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
            username=username, password_hash=password_hash, role=role, created_at=self.clock()
        )
        s.add(row)
        s.flush()
        log.info("user created (role %s)", role)
        return _user(row)

    def _consume(self, s: Session, token: str) -> bool:
        row = s.get(SetupTokenRow, token_hash(token), with_for_update=True)
        if row is None or row.expires_at <= self.clock() or _count_admins(s) > 0:
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


def _failures(s: Session, username: str) -> int:
    row = s.get(LoginFailureRow, username)
    return row.failures if row is not None else 0


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
