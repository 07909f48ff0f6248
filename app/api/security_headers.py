"""Headers every answer carries: no MIME sniffing, a same-origin referrer, and a strict
Content-Security-Policy on our HTML pages (FastAPI's /docs loads Swagger UI from its CDN
with an inline script, so it is left out).

Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs
every request through an extra task and stream, which cost about as much as a whole
``/v1/check``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pages = not scope.get("path", "").startswith(("/docs", "/redoc"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in _ALWAYS if h[0] not in names]
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if pages and ctype.startswith(b"text/html") and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
