"""The ASGI application: ``app.main:app`` (``uvicorn app.main:app``).

``create_app(settings)`` builds a fresh, independent instance (tests build one
per module); ``app`` is the instance built from the environment.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from app import __version__
from app.api import errors
from app.api.limits import BodySizeLimit
from app.api.routes import assist, catalog, health
from app.assistant import EngineHolder
from app.config import Settings, ShopDirectory
from app.content.source import load_from_files
from app.text.segment import Segmenter

log = logging.getLogger("shouhou")

DESCRIPTION = """售后助手：读懂买家消息（意图匹配），给出有温度的建议回复，并在发送前检查风险承诺与违规。

所有错误都以 RFC 9457 problem details 返回，`errors` 列出出错的字段。"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    segmenter = Segmenter()

    def load():
        pack, rules, problems = load_from_files(settings)
        for p in problems:
            log.warning("content problem: %s", p)
        return pack, rules, 0

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield

    app = FastAPI(
        title="售后助手 shouhou",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.shops = ShopDirectory.from_file(settings.shops_file)
    app.state.holder = EngineHolder(load, segmenter)

    errors.install(app)
    app.include_router(assist.router)
    app.include_router(catalog.router)
    app.include_router(health.router)

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        # Only method, path, status and time: message texts may hold phone numbers and addresses.
        t0 = time.perf_counter()
        response = await call_next(request)
        log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code, (time.perf_counter() - t0) * 1000)
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
