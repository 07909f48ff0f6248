"""The ASGI application: ``app.main:app`` (``uvicorn app.main:app``).

``create_app(settings)`` builds a fresh, independent instance (tests build one
per module); ``app`` is the instance built from the environment, on first access
(importing this module builds nothing: no database, no training).
"""

from __future__ import annotations

import logging
import sys
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import __version__
from app.api import errors, safe_text
from app.api.access_log import AccessLog, configure_logging
from app.api.hosts import AllowedHosts
from app.api.limits import BodySizeLimit, HeaderLimit
from app.api.logins import LoginGuard
from app.api.routes import admin, assist, documents, editor_tools, feedback, health, phrases
from app.api.routes import forms as form_routes
from app.api.routes import inbox as inbox_routes
from app.api.routes import session as session_routes
from app.api.security_headers import SecurityHeaders
from app.config import Settings, ShopDirectory
from app.editing.sync import load_snapshot, seed_store
from app.engine.holder import AssistantHolder
from app.matching.index_cache import IndexCache
from app.store import AccountStore, ContentStore, open_engine
from app.store.changes import ChangeListener, supports_notify
from app.store.events import EventRecorder, EventStore
from app.store.phrases import PhraseStore
from app.text.segment import Segmenter
from app.web import inbox_pages, pages, stats_pages

log = logging.getLogger("shouhou")

DESCRIPTION = """售后助手：读懂买家消息（意图匹配），给出有温度的建议回复，并在发送前检查风险承诺与违规。

* 客服与机器人：`POST /v1/suggest`、`POST /v1/check`（按 `agent_access` 设置，可能需要 `Authorization: Bearer <API key>`）。
* 模板编辑：`/v1/templates`、`/v1/intents`（编辑角色）、`/v1/rules`（管理员），每次保存生成新版本；
  修改须带 `If-Match: "版本号"`（过期返回 412）或 `base_version`（过期返回 409）。
* 所有错误都以 RFC 9457 problem details 返回，`errors` 列出出错的字段。"""


def setup_url(settings: Settings) -> tuple[str, str]:
    """Where the admin opens /setup, and a note when the server listens on every address."""
    host = settings.host.strip("[]")
    if host in ("0.0.0.0", "::", ""):
        note = "（服务监听在所有网卡上；从其他电脑打开时，请换成本机的地址或域名，并把它加入 SHOUHOU_ALLOWED_HOSTS）"
        host = "127.0.0.1" if host != "::" else "::1"
    else:
        note = ""
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/setup", note


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging()
    # Refuse a dangerous or broken configuration before touching the database (ConfigError, in Chinese).
    settings.check_safe_to_serve()
    shops = ShopDirectory.from_file(settings.shops_file)
    db = open_engine(settings.database_url)
    store = ContentStore(db)
    accounts = AccountStore(db, session_ttl=timedelta(hours=settings.session_hours))
    seed_store(store, settings)

    def load():
        pack, rules, problems, revision = load_snapshot(store, settings)
        for p in problems:
            log.warning("content problem: %s", p)
        return pack, rules, revision

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not accounts.has_admin():
            token = accounts.create_setup_token()
            url, note = setup_url(settings)
            # To stderr once, never through the logger: log files must not hold the token.
            print(
                f"\n还没有管理员。请在 24 小时内打开 {url} {note}，"
                f"用这个一次性令牌创建管理员：\n\n    {token}\n",
                file=sys.stderr,
                flush=True,
            )
        # Other processes' edits: NOTIFY on PostgreSQL, and the revision poll always (NOTIFY can be lost).
        holder = app.state.holder
        holder.start_polling()
        listener = None
        if settings.notify_changes and supports_notify(db):
            listener = ChangeListener(db, holder.notice).start()
        app.state.change_listener = listener
        events = app.state.events.start()  # writes events in batches, deletes old ones, refreshes the ranking
        yield
        events.close()  # what is still queued is written before the database closes
        if listener is not None:
            listener.stop()
        holder.close()
        db.dispose()

    app = FastAPI(
        title="售后助手 shouhou", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        dependencies=[Depends(safe_text.refuse_unencodable)],  # no lone surrogate or NUL reaches a handler
    )
    app.state.settings = settings
    app.state.shops = shops
    app.state.store = store
    app.state.store_engine = db
    app.state.accounts = accounts
    app.state.phrases = PhraseStore(db)  # per-user phrase library (favourites, personal, recent)
    app.state.events = EventRecorder(
        EventStore(db), enabled=settings.record_events, retention_days=settings.event_retention_days
    )
    app.state.logins = LoginGuard(accounts)  # throttled sign-in, password hashing off the event loop
    app.state.holder = AssistantHolder(
        load, Segmenter(cache_dir=settings.cache_dir, lazy=True), probe=store.revision, probe_interval=settings.revision_poll_seconds,
        index_cache=IndexCache(settings.cache_dir),
    )

    errors.install(app)
    app.include_router(assist.router)
    app.include_router(editor_tools.router)
    app.include_router(phrases.router)
    app.include_router(feedback.router)
    app.include_router(inbox_routes.router)
    app.include_router(form_routes.router)  # /v1/{kind}/form/*, examples/check, rules/test
    app.include_router(documents.documents_router("template", "templates", "editor"))
    app.include_router(documents.documents_router("intent", "intents", "editor"))
    app.include_router(documents.documents_router("rule", "rules", "admin"))
    app.include_router(documents.documents_router("lexicon", "lexicon", "admin"))  # couriers, domain, promises
    app.include_router(documents.documents_router("variables", "variables", "admin"))
    app.include_router(admin.router)
    app.include_router(session_routes.router)  # POST /v1/session: sign in again from the editor
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(stats_pages.router)  # /stats, /stats.csv, /stats/report
    app.include_router(inbox_pages.router)  # /editor/inbox
    pages.install(app)
    app.mount("/static", StaticFiles(directory=str(pages.HERE / "static")), name="static")

    # Outermost last: the access log sees every answer, also the host check's and the limits',
    # and every answer, its 500 included, carries the security headers.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeaderLimit, max_bytes=settings.max_header_bytes)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(AllowedHosts, allowed_hosts=settings.served_hosts())
    app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders)
    return app


def __getattr__(name: str) -> FastAPI:
    # ``app.main:app`` (uvicorn, the eval script) is built from the environment on first use,
    # never at import: importing this module (the CLI, tests, create_app) builds nothing.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
