"""Answer only to the host names this server is known by (``SHOUHOU_ALLOWED_HOSTS``).

Without this, a web page the agent opens could rebind its own domain to 127.0.0.1 and
call the local API from the agent's browser ("DNS rebinding"): the browser would send
``Host: evil.example``.  Same idea as Starlette's ``TrustedHostMiddleware`` (exact names,
``*.example.com``, ``*``), but the refusal is our problem document, in Chinese, and the
Host header is parsed strictly (no user-info, no path, one port at most).

Names without a dot (``app``, ``testserver``, a container's service name ``shouhou``) are
served too: a rebinding page needs a domain its author controls, and an in-process
client (the evaluation harness calls ``http://app``) or a compose network uses such names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import problem

_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::\d{0,5})?")


def host_of(header: str | None) -> str | None:
    """``"[::1]:8000"`` → ``"::1"``, ``"Shop.Example:80"`` → ``"shop.example"``; None when malformed."""
    if not header:
        return None
    m = _HOST.fullmatch(header.strip())
    if m is None:
        return None
    return (m.group("v6") or m.group("name")).lower()


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    if "." not in host and ":" not in host:  # a single-label name: nobody outside can rebind it
        return True
    for pattern in patterns:
        if pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


class AllowedHosts:
    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]):
        self.app = app
        self.allowed = [h.lower() for h in allowed_hosts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "*" in self.allowed:  # no websockets here
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        host = host_of(header)
        if host is not None and host_allowed(host, self.allowed):
            await self.app(scope, receive, send)
            return
        if host is None:
            detail = "请求缺少 Host 头，或格式不对"
        else:
            detail = f"本服务不接受主机名 {host}。如需用这个地址访问，请管理员把它加入 SHOUHOU_ALLOWED_HOSTS"
        response = problem(400, detail, [{"field": "Host", "message": "不在允许的主机名中"}])
        await response(scope, receive, send)
