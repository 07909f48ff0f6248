"""Request size limits, as pure ASGI middleware: headers (431) and body (413, before it is parsed).

``shouhou serve`` also bounds headers while they arrive (``app.serving``); these checks
hold whichever server runs the app.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_HEADERS = 100  # a browser sends about 20; proxies add a few


def problem_body(status: int, title: str, detail: str, field: str, message: str) -> bytes:
    return json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail,
         "errors": [{"field": field, "message": message}]},
        ensure_ascii=False,
    ).encode()


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def header_problem(count: int, size: int, max_headers: int, max_bytes: int) -> bytes | None:
    """The 431 body when a request has too many or too large headers, else None."""
    if count > max_headers:
        return problem_body(431, "请求头过大", f"请求头不能超过 {max_headers} 个", "headers", f"不能超过 {max_headers} 个")
    if size > max_bytes:
        return problem_body(431, "请求头过大", f"请求行和请求头合计不能超过 {max_bytes} 字节", "headers",
                            f"不能超过 {max_bytes} 字节")
    return None


class HeaderLimit:
    """At most ``max_headers`` headers and ``max_bytes`` for the request target plus all headers."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_headers: int = MAX_HEADERS):
        self.app = app
        self.max_bytes = max_bytes
        self.max_headers = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers", ())
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            size += sum(len(k) + len(v) + 4 for k, v in headers)  # "k: v\r\n"
            body = header_problem(len(headers), size, self.max_headers, self.max_bytes)
            if body is not None:
                await _answer(send, 431, body)
                return
        await self.app(scope, receive, send)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = problem_body(413, "请求体过大", f"请求体不能超过 {self.max_bytes} 字节", "body", f"不能超过 {self.max_bytes} 字节")
        await _answer(send, 413, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send)
                    return
        received = 0
        started = False
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Answer now; the app sees the client go away and whatever it sends is dropped.
                    rejected = True
                    if not started:
                        await self._reject(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not rejected:
                raise
