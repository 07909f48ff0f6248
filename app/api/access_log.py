"""One log line per request, and a server error logged once — never what the request said.

The line is ``method=POST path=/v1/suggest status=200 duration_ms=7.2``: no query string
(``?q=13812345678`` stays out), no client address, no body.  An exception that reaches
this middleware is logged once, with its traceback but *without its message* (a message
may quote the buyer's text, a phone number or an order number), answered with the 500
problem document, and not re-raised — so uvicorn does not log it a second time.
"""

from __future__ import annotations

import logging
import sys
import time
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import describe_exception, problem

log = logging.getLogger("shouhou")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The loggers the project writes to: "shouhou" and the modules' own (``app.store.accounts``…).
PROJECT_LOGGERS = ("shouhou", "app")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _drop(record: logging.LogRecord) -> bool:
    return False


def configure_logging() -> None:
    """Mute the server's own access log and give our loggers a handler if nobody did.

    uvicorn's access line carries the query string (``/v1/templates?q=13812345678``), so it
    is muted however the app is started (``shouhou serve`` also turns it off).  ``shouhou
    serve`` configures our loggers; ``uvicorn app.main:app`` configures only uvicorn's, so
    without a handler our INFO lines would be dropped.
    """
    access = logging.getLogger("uvicorn.access")
    if _drop not in access.filters:
        access.addFilter(_drop)
    if logging.getLogger().handlers:
        return  # the host application (or pytest) decides where records go
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        if logger.handlers:
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def _path(scope: Scope) -> str:
    # Percent-encode anything unusual so that a path can never forge a log line.
    return quote(scope.get("path", ""), safe=_PATH_SAFE)[:300]


class AccessLog:
    """Pure ASGI middleware, the outermost of ours: it also sees 400 (host), 413 and 431."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status: int | None = None

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            log.error("unhandled error: method=%s path=%s\n%s", scope.get("method"), _path(scope), describe_exception(exc))
            if status is None:
                response = problem(500, "服务器内部错误，已记录，请稍后再试")
                try:
                    await response(scope, receive, send_and_note)
                except Exception:  # the client is gone; nothing more to tell it
                    pass
        finally:
            log.info(
                "method=%s path=%s status=%s duration_ms=%.1f",
                scope.get("method"),
                _path(scope),
                status if status is not None else "-",
                (time.perf_counter() - t0) * 1000,
            )
