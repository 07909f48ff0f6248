"""The errors the store raises, so callers can map each to one HTTP status."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class Conflict(StoreError):
    """A write was based on a version that is no longer current (or the document already exists).

    ``current_version`` is the version the caller should reload (``None`` when the
    document has never existed); ``deleted`` says whether that version is a deletion.
    """

    def __init__(self, kind: str, key: str, current_version: int | None, *, deleted: bool = False):
        self.kind = kind
        self.key = key
        self.current_version = current_version
        self.deleted = deleted
        state = "已删除" if deleted else "当前"
        super().__init__(f"{kind} {key!r} 已被修改：{state}为第{current_version}版")


class NotFound(StoreError):
    """The document, version, user, key or session does not exist."""

    def __init__(self, kind: str, key: str, version: int | None = None):
        self.kind = kind
        self.key = key
        self.version = version
        where = f" 第{version}版" if version is not None else ""
        super().__init__(f"找不到 {kind} {key!r}{where}")


class AlreadyExists(StoreError):
    """A user with that name already exists."""


class InvalidOperation(StoreError):
    """The request is well-formed but not allowed (rolling back to a deletion, removing the last admin)."""


class InvalidField(StoreError, ValueError):
    """A value the store refuses (a username or password of the wrong length); ``field`` names it."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class LoginThrottled(StoreError):
    """Too many wrong passwords in a row: the next attempt is allowed in ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"登录失败次数过多，请 {retry_after} 秒后再试")


class AccountLocked(StoreError):
    """Locked after too many wrong passwords, until an admin unlocks it."""

    def __init__(self) -> None:
        super().__init__("账号因多次密码错误已被锁定，请联系管理员解锁")
