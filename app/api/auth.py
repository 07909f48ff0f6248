"""Who is calling, and may they?  API keys for bots, session cookies for people.

* ``Authorization: Bearer shk_…`` — an API key (stored hashed), with a role.
* The ``shouhou_session`` cookie — a signed-in person; unsafe requests made with
  it must carry the session's CSRF token (``X-CSRF-Token`` header or
  ``csrf_token`` form field) and must not come from another site
  (``Sec-Fetch-Site``/``Origin``).  Bearer calls are exempt: a browser never
  adds that header by itself.
* Roles: agent < editor < admin.  Whether suggest/check need credentials at all
  is the ``agent_access`` setting (``local`` by default: open to this machine only).

The dependencies here are ``async`` only to read a form's CSRF field; every
store call they make runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.api.errors import ProblemError
from app.config import is_loopback
from app.store.roles import ROLE_NAMES, Role, role_allows

SESSION_COOKIE = "shouhou_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    via: Literal["key", "session", "local", "open"]
    csrf_token: str | None = None
    #: A signed-in person's own nickname (fills 【客服昵称】 where the request's context is silent).
    nickname: str | None = None

    def allows(self, need: Role) -> bool:
        return role_allows(self.role, need)


def same_site(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # non-browser client (curl); the CSRF token still has to match
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse a cookie-authenticated unsafe request from another site or without the token."""
    if request.method in SAFE_METHODS:
        return
    if not same_site(request):
        raise ProblemError(403, "跨站请求已被拒绝（CSRF 防护）")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf_token") or "")
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise ProblemError(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试")


async def get_principal(request: Request) -> Principal | None:
    """The caller's identity, or None for an anonymous call.  A bad key is a 401."""
    cached = getattr(request.state, "principal", False)
    if cached is not False:
        return cached
    accounts = request.app.state.accounts
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProblemError(401, "Authorization 头应为 Bearer <API key>", headers={"WWW-Authenticate": "Bearer"})
        key = await run_in_threadpool(accounts.verify_api_key, token.strip())
        if key is None:
            raise ProblemError(401, "API key 无效或已吊销", headers={"WWW-Authenticate": "Bearer"})
        principal = Principal(f"key:{key.name}", key.role, "key")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        session = await run_in_threadpool(accounts.get_session, cookie)
        if session is not None:
            principal = Principal(session.username, session.role, "session", session.csrf_token, session.nickname)
            await check_csrf(request, session.csrf_token)
    request.state.principal = principal
    return principal


def _is_local(request: Request) -> bool:
    # The peer's address; a trusted proxy's X-Forwarded-For has replaced it (SHOUHOU_TRUSTED_PROXIES).
    return request.client is not None and is_loopback(request.client.host)


async def agent_principal(request: Request) -> Principal:
    """suggest/check: open, local-only-open, or key-required, per ``agent_access``."""
    principal = await get_principal(request)
    if principal is not None:
        return principal
    mode = request.app.state.settings.agent_access
    if mode == "open":
        return Principal("anonymous", "agent", "open")
    if mode == "local" and _is_local(request):
        return Principal("local", "agent", "local")
    raise ProblemError(401, "需要 API key（Authorization: Bearer …）或登录", headers={"WWW-Authenticate": "Bearer"})


def require(role: Role):
    async def dependency(request: Request) -> Principal:
        principal = await get_principal(request)
        if principal is None:
            raise ProblemError(401, "需要登录或 API key", headers={"WWW-Authenticate": "Bearer"})
        if not principal.allows(role):
            raise ProblemError(403, f"需要{ROLE_NAMES[role]}权限，当前为{ROLE_NAMES[principal.role]}")
        return principal

    return dependency


AgentDep = Annotated[Principal, Depends(agent_principal)]
EditorDep = Annotated[Principal, Depends(require("editor"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
