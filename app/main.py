"""The ASGI application: ``app.main:app`` (``uvicorn app.main:app``).

``create_app(settings)`` builds a fresh, independent instance (tests build one
per module); ``app`` is the instance built from the environment.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import errors
from app.api.limits import BodySizeLimit
from app.api.routes import admin, assist, documents, editor_tools, health
from app.assistant import EngineHolder
from app.config import Settings, ShopDirectory
from app.content.source import load_from_store, seed_store
from app.store import AccountStore, ContentStore, open_engine
from app.text.segment import Segmenter
from app.web import pages

log = logging.getLogger("shouhou")

DESCRIPTION = """售后助手：读懂买家消息（意图匹配），给出有温度的建议回复，并在发送前检查风险承诺与违规。

* 客服与机器人：`POST /v1/suggest`、`POST /v1/check`（按 `agent_access` 设置，可能需要 `Authorization: Bearer <API key>`）。
* 模板编辑：`/v1/templates`、`/v1/intents`（编辑角色）、`/v1/rules`（管理员），每次保存生成新版本；
  修改须带 `If-Match: "版本号"`（过期返回 412）或 `base_version`（过期返回 409）。
* 所有错误都以 RFC 9457 problem details 返回，`errors` 列出出错的字段。"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    db = open_engine(settings.database_url)
    store = ContentStore(db)
    accounts = AccountStore(db, session_ttl=timedelta(hours=settings.session_hours))
    seed_store(store, settings)

    def load():
        revision = store.revision()
        pack, rules, problems = load_from_store(store, settings)
        for p in problems:
            log.warning("content problem: %s", p)
        return pack, rules, revision

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not accounts.has_admin():
            token = accounts.create_setup_token()
            print(
                f"\n还没有管理员。请在 24 小时内打开 http://{settings.host}:{settings.port}/setup ，"
                f"用这个一次性令牌创建管理员：\n\n    {token}\n",
                file=sys.stderr,
                flush=True,
            )
        yield
        db.dispose()

    app = FastAPI(title="售后助手 shouhou", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.shops = ShopDirectory.from_file(settings.shops_file)
    app.state.store = store
    app.state.store_engine = db
    app.state.accounts = accounts
    app.state.holder = EngineHolder(load, Segmenter(), probe=store.revision)

    errors.install(app)
    app.include_router(assist.router)
    app.include_router(editor_tools.router)
    app.include_router(documents.documents_router("template", "templates", "editor"))
    app.include_router(documents.documents_router("intent", "intents", "editor"))
    app.include_router(documents.documents_router("rule", "rules", "admin"))
    app.include_router(admin.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=str(pages.HERE / "static")), name="static")

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        # Only method, path, status and time: message texts may hold phone numbers and addresses.
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Our pages get a strict CSP; FastAPI's /docs loads Swagger UI from its CDN with an inline script.
        if response.headers.get("content-type", "").startswith("text/html") and not request.url.path.startswith(
            ("/docs", "/redoc")
        ):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            )
        log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code, (time.perf_counter() - t0) * 1000)
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
