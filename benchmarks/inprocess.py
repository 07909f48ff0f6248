"""Requests to an ASGI app in-process, on one event loop, next to a bare FastAPI endpoint.

The machine the benchmarks run on is shared and noisy, so a latency means little on its
own: ``compare`` times the app's endpoint and a bare FastAPI JSON endpoint through the
same transport (``httpx.ASGITransport``) on the same loop, alternating between them, and
prints the ratio of their p50s.  Used by ``bench_suggest.py`` and ``bench_check.py``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI


def bare_app() -> FastAPI:
    """The cost of the web framework alone: parse a JSON body, answer JSON."""
    app = FastAPI()

    @app.post("/bare")
    async def bare(body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "n": len(body)}

    return app


def quiet_logs() -> None:
    """The access log still formats its line (its cost is part of a request), but into nowhere."""
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for name in ("", "shouhou", "app"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sink)


class InProcess:
    """An ASGI app with its lifespan started, called through ``httpx.ASGITransport``."""

    def __init__(self, app, loop: asyncio.AbstractEventLoop):
        self.app, self.loop = app, loop
        self.loop.run_until_complete(self._start())
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://127.0.0.1"
        )

    async def _start(self) -> None:
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._outbox: asyncio.Queue = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        if message["type"] != "lifespan.startup.complete":
            raise SystemExit(f"app startup failed: {message.get('message')}")

    async def post(self, path: str, body: dict) -> float:
        """One request; returns its time in milliseconds (raises on a non-2xx answer)."""
        t = self.loop.time()
        r = await self.http.post(path, json=body)
        ms = (self.loop.time() - t) * 1000
        if r.status_code >= 300:
            raise SystemExit(f"{path} answered {r.status_code}: {r.text[:300]}")
        return ms

    def close(self) -> None:
        async def stop() -> None:
            await self.http.aclose()
            await self._inbox.put({"type": "lifespan.shutdown"})
            try:
                await asyncio.wait_for(self._task, 10)
            except Exception:  # noqa: BLE001 - a benchmark's teardown
                pass

        self.loop.run_until_complete(stop())


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def compare(
    app: InProcess,
    bare: InProcess,
    path: str,
    bodies: list[dict],
    rounds: int,
    label: str | None = None,
    warmup: list[dict] | None = None,
) -> tuple[float, float]:
    """Time ``path`` with each of ``bodies`` and the bare endpoint alternately; print both and
    the ratio of the p50s.  Returns ``(p50_ms, ratio)``.  ``warmup``: the bodies sent first,
    untimed (``bodies`` by default; pass others when each body must be new to the app)."""
    loop = app.loop

    async def run() -> tuple[list[float], list[float]]:
        mine: list[float] = []
        base: list[float] = []
        for body in bodies if warmup is None else warmup:  # warm-up
            await app.post(path, body)
            await bare.post("/bare", body)
        for _ in range(rounds):
            for body in bodies:
                mine.append(await app.post(path, body))
                base.append(await bare.post("/bare", body))
        return mine, base

    mine, base = loop.run_until_complete(run())
    p50, b50 = statistics.median(mine), statistics.median(base)
    name = label or f"POST {path} (in-process ASGI)"
    print(f"{name:44s} p50 {p50:6.2f} ms   p99 {pct(mine, 0.99):6.2f} ms   (n={len(mine)})")
    print(f"{'bare FastAPI JSON endpoint, same run':44s} p50 {b50:6.2f} ms   p99 {pct(base, 0.99):6.2f} ms")
    print(f"{'  ratio to bare (p50)':44s} {p50 / b50:6.2f}x")
    return p50, p50 / b50


def with_apps(settings_update: dict, fn: Callable[[InProcess, InProcess], Any]) -> Any:
    """Build the shouhou app (temporary SQLite database) and the bare app, run ``fn``."""
    import tempfile

    from app.config import Settings
    from app.main import create_app

    tmp = tempfile.mkdtemp()
    settings = Settings().model_copy(
        update={"database_url": f"sqlite:///{tmp}/bench.db", "agent_access": "open", **settings_update}
    )
    loop = asyncio.new_event_loop()
    app = InProcess(create_app(settings), loop)
    quiet_logs()
    bare = InProcess(bare_app(), loop)
    try:
        return fn(app, bare)
    finally:
        app.close()
        bare.close()
        loop.close()
