"""How ``shouhou serve`` runs uvicorn: bounded connections, our logging, no access log of its own.

uvicorn has no timeout for a request that is still arriving (its keep-alive timeout is
reset by every byte), and its default HTTP parser (httptools) takes headers of any size.
So ``shouhou serve`` uses uvicorn's h11 protocol with two additions:

* a read timeout: a client has ``read_timeout`` seconds, from the moment it connects or
  the last response ends, to send a complete request (line, headers and body); otherwise
  it gets 408 (or, mid-body, just a closed connection).  Dripping a byte now and then
  does not extend it;
* headers that are still incomplete beyond ``max_header_bytes`` get 431 (h11 stops
  buffering there); complete ones are checked again by ``app.api.limits.HeaderLimit``.
"""

from __future__ import annotations

import copy
import functools
import logging
from typing import Any

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.api.access_log import LOG_FORMAT, PROJECT_LOGGERS
from app.api.limits import problem_body
from app.config import Settings

log = logging.getLogger("shouhou")

KEEP_ALIVE_SECONDS = 5
_STILL_READING = (h11.IDLE, h11.SEND_BODY)


def _raw_response(status: int, reason: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a whole-request read timeout and a 431 for oversized headers."""

    def __init__(self, *args: Any, read_timeout: float, max_header_bytes: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout
        self.max_header_bytes = max_header_bytes
        self._read_timer: Any = None

    # The timer runs while the client owes us (part of) a request, and only then.
    def _watch_reading(self) -> None:
        if self.transport is None or self.transport.is_closing() or self.conn.their_state not in _STILL_READING:
            self._stop_watching()
        elif self._read_timer is None:
            self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _stop_watching(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing() or self.conn.their_state not in _STILL_READING:
            return
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            body = problem_body(408, "请求超时", f"请在 {self.read_timeout:g} 秒内发完请求", "request", "发送太慢")
            self.transport.write(_raw_response(408, "Request Timeout", body))
        log.info("connection closed: no complete request within %g s", self.read_timeout)
        self.transport.close()  # mid-body, the app sees the client go away

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_reading()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_reading()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) <= self.max_header_bytes:
            super().send_400_response(msg)
            return
        body = problem_body(
            431, "请求头过大", f"请求行和请求头合计不能超过 {self.max_header_bytes} 字节", "headers",
            f"不能超过 {self.max_header_bytes} 字节",
        )
        log.info("connection closed: request headers over %d bytes", self.max_header_bytes)
        self.transport.write(_raw_response(431, "Request Header Fields Too Large", body))
        self.transport.close()


def log_config() -> dict:
    """uvicorn's logging setup, plus our loggers on stderr; uvicorn's access logger gets nothing."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["shouhou"] = {"format": LOG_FORMAT}
    config["handlers"]["shouhou"] = {"class": "logging.StreamHandler", "formatter": "shouhou", "stream": "ext://sys.stderr"}
    for name in PROJECT_LOGGERS:
        config["loggers"][name] = {"handlers": ["shouhou"], "level": "INFO", "propagate": False}
    return config


def run(settings: Settings, reload: bool = False, workers: int = 1) -> None:
    """Serve ``app.main:app``; with ``workers`` > 1, uvicorn starts that many processes on one socket.

    Each worker imports the app itself (hence the import string) and keeps its own
    engine; an edit saved through one reaches the others through the database
    (``app.store.changes``).
    """
    import uvicorn

    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=workers,
        http=functools.partial(
            BoundedH11Protocol, read_timeout=settings.read_timeout, max_header_bytes=settings.max_header_bytes
        ),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=settings.max_connections,
        # The app applies SHOUHOU_TRUSTED_PROXIES itself; uvicorn would trust 127.0.0.1 on its own.
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_config=log_config(),
        log_level="info",
    )
