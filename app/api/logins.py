"""Password logins that resist guessing and never stall the server.

Every login (the ``/login`` form, and any later JSON login) goes through
``LoginGuard.login``:

1. a client that keeps failing waits (429, in memory, per address), and so does
   an account (429, stored), until it is locked after many failures (423, until
   an admin unlocks it; ``lockout`` has the numbers).  These checks come before
   any password is hashed, so a throttled guess costs the server nothing;
2. argon2 runs in worker threads of its own, at most ``HASH_THREADS`` at once
   (each takes ~64 MiB and a core for ~0.13 s), never on the event loop and
   never in the thread pool other requests need;
3. nothing here blocks: store calls run in the thread pool.

Failed logins are logged with the client address and, for an existing account,
its username — never the password, and never a username nobody has (it may be
a password typed into the wrong box).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import anyio
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from app.store import AccountStore, User, lockout
from app.store.accounts import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH
from app.store.db import is_busy
from app.store.errors import AccountLocked, LoginThrottled

log = logging.getLogger("shouhou.auth")

T = TypeVar("T")

#: Password hashes computed at once (half the cores: the rest keep serving); more logins queue for a thread.
HASH_THREADS = max(1, (os.cpu_count() or 2) // 2)
#: Logins allowed to queue for a hashing thread; beyond that a login is refused (503) at once.
MAX_WAITING = 32
#: A client's failures are forgotten after this long without one.
FORGET_CLIENT_AFTER = timedelta(hours=24)
#: Clients remembered at most (the least recently failing are forgotten first).
MAX_CLIENTS = 10_000


@dataclass
class LoginRefused(Exception):
    """Why a login did not succeed: the HTTP status, a message for the person, and how long to wait."""

    status: int
    detail: str
    retry_after: int | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


WRONG_PASSWORD = "用户名或密码不对。"
LOCKED = "账号因多次密码错误已被锁定，请联系管理员解锁。"


def throttled(seconds: int) -> LoginRefused:
    return LoginRefused(429, f"登录失败次数过多，请 {lockout.wait_in_words(seconds)}后再试。", retry_after=seconds)


@dataclass
class _Failures:
    count: int
    last: datetime


class ClientThrottle:
    """Failures in a row per client address, in memory (a restart forgets them; accounts are stored)."""

    def __init__(self, *, max_clients: int = MAX_CLIENTS, forget_after: timedelta = FORGET_CLIENT_AFTER):
        self._clients: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_clients
        self._forget_after = forget_after

    def begin(self, client: str, now: datetime) -> int:
        """Admit an attempt (counted as a failure until ``succeeded``): 0, or seconds to wait first."""
        with self._lock:
            seen = self._clients.get(client)
            if seen is not None and now - seen.last >= self._forget_after:
                seen = None
            if seen is None:
                seen = _Failures(0, now)
            elif wait := lockout.retry_after(seen.count, seen.last, now):
                return wait
            seen.count += 1
            seen.last = now
            self._clients[client] = seen
            self._clients.move_to_end(client)
            while len(self._clients) > self._max:
                self._clients.popitem(last=False)
            return 0

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)


class LoginGuard:
    """Checks a username and password for a client, throttled (see the module docstring)."""

    def __init__(self, accounts: AccountStore, *, hash_threads: int = HASH_THREADS, max_waiting: int = MAX_WAITING):
        self.accounts = accounts
        self.clients = ClientThrottle()
        self._max_waiting = max_waiting
        self._limiter = anyio.CapacityLimiter(hash_threads)

    async def login(self, username: str, password: str, client: str) -> User:
        """The user, or ``LoginRefused`` (401 wrong, 422 too long, 423 locked, 429 wait, 503 busy)."""
        try:
            return await self._login(username, password, client)
        except OperationalError as e:
            if not is_busy(e):
                raise
            raise LoginRefused(503, "系统正忙，请稍等几秒再试。", retry_after=5) from None

    async def _login(self, username: str, password: str, client: str) -> User:
        if len(username) > MAX_USERNAME_LENGTH:
            raise LoginRefused(422, f"用户名不能超过 {MAX_USERNAME_LENGTH} 个字符。", field="username")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise LoginRefused(422, f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符。", field="password")
        if self._limiter.statistics().tasks_waiting >= self._max_waiting:
            raise LoginRefused(503, "现在登录的人太多，请稍等几秒再试。", retry_after=5)
        if wait := self.clients.begin(client, self.accounts.clock()):
            log.info("login refused: client %s must wait %d s", client, wait)
            raise throttled(wait)
        try:
            failures = await run_in_threadpool(self.accounts.begin_login, username)
        except LoginThrottled as e:
            log.info("login refused: account %r must wait %d s (client %s)", username, e.retry_after, client)
            raise throttled(e.retry_after) from None
        except AccountLocked:
            log.info("login refused: account %r is locked (client %s)", username, client)
            raise LoginRefused(423, LOCKED) from None
        user = await self.hashing(self.accounts.verify_password, username, password)
        if user is None:
            if failures >= lockout.LOCK_AFTER:
                log.warning("account %r locked after %d wrong passwords in a row (client %s)", username, failures, client)
                raise LoginRefused(423, LOCKED)
            who = repr(username) if failures else "(unknown user)"
            log.info("login failed for %s from client %s (%d in a row)", who, client, failures)
            raise LoginRefused(401, WRONG_PASSWORD)
        await run_in_threadpool(self.accounts.login_succeeded, user.username)
        self.clients.succeeded(client)
        return user

    async def hashing(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work`` (argon2, plus its bit of database work) in a hashing thread."""
        return await anyio.to_thread.run_sync(work, *args, limiter=self._limiter)
