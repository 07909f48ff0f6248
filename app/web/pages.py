"""Server-rendered pages: the agent workbench, sign-in, first-admin setup and the editors.

Pages only render; every change goes through the JSON API (``/v1/...``) from
the page's script, with the session cookie and its CSRF token, so the rules
for who may do what live in one place.  Handlers are plain ``def`` (run in the
thread pool: they read the store); sign-in and setup are ``async`` because their
password work goes to ``LoginGuard``'s own threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from app.api.auth import (
    ROLE_NAMES,
    SESSION_COOKIE,
    Principal,
    agent_principal,
    get_principal,
    same_site,
)
from app.api.deps import AccountsDep, AssistantDep, ContentDep, LoginsDep, SettingsDep, ShopsDep
from app.api.errors import ProblemError
from app.api.logins import LoginRefused
from app.api.routes.session import set_session_cookie
from app.config import Settings
from app.editing.forms import form_kind
from app.editing.publishing import EditorState, editor_state
from app.guard.severity import SEVERITY_NAMES
from app.stats import STATS_TZ
from app.store.accounts import (
    MAX_PASSWORD_LENGTH,
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,
    AccountStore,
)
from app.store.content import ContentStore
from app.store.errors import InvalidField, InvalidOperation, NotFound

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(
    role_names=ROLE_NAMES, password_min=MIN_PASSWORD_LENGTH, password_max=MAX_PASSWORD_LENGTH,
    username_max=MAX_USERNAME_LENGTH, severity_names=SEVERITY_NAMES,
)

router = APIRouter(include_in_schema=False)

NEW_TEMPLATE = """---
id: {intent}/new_reply
intent: {intent}
title: 新模板
tags: [标准]
variables: [buyer_name]
---
亲爱的{{{{ buyer_name }}}}，您好，非常理解您的心情，我这边马上帮您处理。
"""

NEW_INTENT = """id: new_intent
label: 新意图
category: 咨询
priority: low
description: 这个意图包括什么、不包括什么
examples:
  - 买家会怎么说（至少写几条不同说法）
keywords: []
"""


async def _who(request: Request) -> Principal | None:
    try:
        return await get_principal(request)
    except ProblemError:
        return None


async def _agent(request: Request) -> Principal | None:
    try:
        return await agent_principal(request)
    except ProblemError:
        return None


Who = Annotated[Principal | None, Depends(_who)]


def _render(
    request: Request, name: str, who: Principal | None, status: int = 200, http_headers: dict | None = None, **ctx
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"user": _user(who), "csrf_token": who.csrf_token if who else None, **ctx}, status_code=status,
        headers=http_headers,
    )


def _user(who: Principal | None):
    if who is None or who.via != "session":
        return None
    return {"username": who.name, "role": who.role}


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _session_response(accounts: AccountStore, settings: Settings, username: str, target: str) -> RedirectResponse:
    token, _csrf = accounts.create_session(username)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(settings, response, token)
    return response


@router.get("/", response_class=HTMLResponse)
def workbench(
    request: Request, who: Annotated[Principal | None, Depends(_agent)], shops: ShopsDep, assistant: AssistantDep,
    accounts: AccountsDep,
):
    if who is None:
        return _to_login(request)
    labels = {v.name: v.label for v in assistant.pack.variables.values()}
    # the signed-in agent's nickname fills 【客服昵称】; the page lets them change it
    nickname = accounts.get_nickname(who.name) if who.via == "session" else None
    return _render(request, "workbench.html", who, nav="workbench", shops=shops.shops, default_shop=shops.default_key,
                   variable_labels=labels, nickname=nickname)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, who: Who, accounts: AccountsDep, next: str = "/"):
    return _render(request, "login.html", who, next=_safe_next(next), has_admin=accounts.has_admin())


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    accounts: AccountsDep,
    logins: LoginsDep,
    settings: SettingsDep,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
):
    """Sign in (throttled: 429 while a back-off runs, 423 once the account is locked; see ``LoginGuard``)."""
    if not same_site(request):
        return _render(request, "login.html", None, 403, error="跨站请求已被拒绝。", next="/", has_admin=True)
    client = request.client.host if request.client else "unknown"
    try:
        user = await logins.login(username.strip(), password, client)
    except LoginRefused as refused:
        has_admin = await run_in_threadpool(accounts.has_admin)
        return _render(request, "login.html", None, refused.status, refused.headers, error=refused.detail,
                       next=_safe_next(next), username=username[:MAX_USERNAME_LENGTH], has_admin=has_admin)
    return await run_in_threadpool(_session_response, accounts, settings, user.username, _safe_next(next))


@router.post("/logout")
def logout(request: Request, who: Annotated[Principal | None, Depends(get_principal)], accounts: AccountsDep):
    # get_principal has checked the CSRF token of a cookie session
    if who is not None and who.via == "session":
        accounts.delete_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_page(request: Request, accounts: AccountsDep):
    if accounts.has_admin():
        return RedirectResponse("/login", status_code=303)
    return _render(request, "setup.html", None)


@router.post("/setup", response_class=HTMLResponse)
async def setup(
    request: Request,
    accounts: AccountsDep,
    logins: LoginsDep,
    settings: SettingsDep,
    token: str = Form("", max_length=200),
    username: str = Form(""),
    password: str = Form(""),
):
    if await run_in_threadpool(accounts.has_admin):
        return RedirectResponse("/login", status_code=303)
    if not same_site(request):
        return _render(request, "setup.html", None, 403, error="跨站请求已被拒绝。")
    username = username.strip()
    try:
        await logins.hashing(accounts.create_first_admin, token.strip(), username, password)
    except InvalidField as e:
        return _render(request, "setup.html", None, 422, error=f"{e}。", username=username[:MAX_USERNAME_LENGTH])
    except (InvalidOperation, NotFound):
        return _render(request, "setup.html", None, 403, error="设置令牌无效或已用过。")
    return await run_in_threadpool(_session_response, accounts, settings, username, "/editor")


# -- editors ---------------------------------------------------------------------


class LoginRequired(Exception):
    """Raised by ``signed_in``; ``install`` turns it into a redirect to the sign-in page."""


async def signed_in(request: Request) -> Principal:
    """The signed-in person, for the editor pages; anyone else is sent to /login."""
    who = await _who(request)
    if who is None or who.via != "session":
        raise LoginRequired
    return who


SignedIn = Annotated[Principal, Depends(signed_in)]


def install(app) -> None:
    async def to_login(request: Request, exc: LoginRequired):
        return _to_login(request)

    app.add_exception_handler(LoginRequired, to_login)


LABELS = {"template": "模板", "intent": "意图", "rule": "规则", "lexicon": "词表", "variables": "变量表"}
LIST_URLS = {"templates": "/editor", "intents": "/editor/intents", "rules": "/editor/rules", "lexicon": "/editor/lexicon",
             "variables": "/editor/lexicon"}


def local_time(at: datetime) -> str:
    """"2026-12-01 14:03" in Beijing time (the shops' time, as on the statistics pages)."""
    return at.astimezone(STATS_TZ).strftime("%Y-%m-%d %H:%M")


templates.env.filters["local_time"] = local_time


def _list_extras(store: ContentStore, kind: str, plural: str, live: set[str], deleted: str, deleted_id: str) -> dict:
    """Under a list: the kind's drafts by key, those of documents not published, the deleted ones if asked."""
    drafts = {d.key: d for d in store.drafts(kind)}
    gone = [i for i in store.list(kind, include_deleted=True) if i.deleted] if deleted else []
    return {"drafts": drafts, "unpublished": [d for k, d in drafts.items() if k not in live], "deleted_docs": gone,
            "show_deleted": bool(deleted), "deleted_id": deleted_id, "label": LABELS[kind],
            "list_url": LIST_URLS[plural], "plural": plural}


@router.get("/editor", response_class=HTMLResponse)
def templates_list(request: Request, who: SignedIn, store: ContentDep, engine: AssistantDep, q: str = "",
                   intent: str = "", tag: str = "", deleted: str = "", deleted_id: str = ""):
    versions = {i.key: i.current_version for i in store.list("template")}
    rows = []
    needle = q.strip().lower()
    for t in sorted(engine.pack.templates.values(), key=lambda t: t.id):
        if intent and t.intent != intent:
            continue
        if tag and tag not in t.tags:
            continue
        if needle and needle not in f"{t.id} {t.title} {t.body}".lower():
            continue
        spec = engine.pack.intents.get(t.intent)
        rows.append({"id": t.id, "title": t.title, "intent_label": spec.label if spec else t.intent,
                     "tags": t.tags, "version": versions.get(t.id, "")})
    tags = sorted({tg for t in engine.pack.templates.values() for tg in t.tags})
    extras = _list_extras(store, "template", "templates", set(versions), deleted, deleted_id)
    return _render(request, "templates_list.html", who, nav="templates", rows=rows, q=q, intent=intent, tag=tag,
                   tags=tags, intents=sorted(engine.pack.intents.values(), key=lambda i: i.id),
                   can_edit=who.allows("editor"), **extras)


def _edit_page(request: Request, who: Principal, store: ContentStore, plural: str, kind: str, key: str | None,
               nav: str, title: str, source_label: str, write_role: str, new_source: str = "", about: str = "",
               source_intro: str = ""):
    """The editor for a document (``editing.publishing.editor_state``), or for a new one (``key`` None)."""
    state = EditorState(new_source, 0)
    if key is not None:
        found = editor_state(store, kind, key, with_draft=who.allows(write_role))  # drafts: for the editors
        if found is None:
            return _render(request, "documents_list.html", who, 404, nav=nav, title=f"找不到：{key}", rows=[],
                           headers=["名称"], q="", can_edit=False, new_url="")
        state = found
    return _render(request, "document_edit.html", who, nav=nav, plural=plural, key=key, version=state.version,
                   source=state.source, title=title, source_label=source_label, can_edit=who.allows(write_role),
                   label=LABELS[kind], list_url=LIST_URLS[plural], published=state.published,
                   current_version=state.current_version, deleted=state.deleted,
                   restore_version=state.restore_version, draft=state.draft, form_kind=form_kind(kind, key) or "",
                   deletable=kind not in ("lexicon", "variables"), about=about, source_intro=source_intro)


@router.get("/editor/templates/new", response_class=HTMLResponse)
def template_new(request: Request, who: SignedIn, store: ContentDep, intent: str = "greeting"):
    return _edit_page(request, who, store, "templates", "template", None, "templates", "新建模板",
                      "模板文件（--- 之间是元数据，下面是正文）", "editor", NEW_TEMPLATE.format(intent=intent))


@router.get("/editor/templates/{key:path}", response_class=HTMLResponse)
def template_edit(request: Request, who: SignedIn, store: ContentDep, engine: AssistantDep, key: str):
    tpl = engine.pack.templates.get(key)
    return _edit_page(request, who, store, "templates", "template", key, "templates", f"模板：{tpl.title if tpl else key}",
                      "模板文件（--- 之间是元数据，下面是正文）", "editor")


@router.get("/editor/intents", response_class=HTMLResponse)
def intents_list(request: Request, who: SignedIn, store: ContentDep, engine: AssistantDep, q: str = "",
                 deleted: str = "", deleted_id: str = ""):
    rows = [
        {"id": i.id, "name": i.label, "url": f"/editor/intents/{i.id}",
         "cells": [i.category, {"high": "高", "medium": "中", "low": "低"}[i.priority], len(i.examples), len(i.keywords)]}
        for i in sorted(engine.pack.intents.values(), key=lambda i: i.id)
        if not q or q.lower() in f"{i.id} {i.label} {' '.join(i.keywords)}".lower()
    ]
    extras = _list_extras(store, "intent", "intents", set(engine.pack.intents), deleted, deleted_id)
    return _render(request, "documents_list.html", who, nav="intents", title="意图", rows=rows, q=q,
                   headers=["意图", "分类", "优先级", "例句数", "关键词数"], can_edit=who.allows("editor"),
                   new_url="/editor/intents/new", **extras)


@router.get("/editor/intents/new", response_class=HTMLResponse)
def intent_new(request: Request, who: SignedIn, store: ContentDep):
    return _edit_page(request, who, store, "intents", "intent", None, "intents", "新建意图", "意图文件（YAML）", "editor", NEW_INTENT)


@router.get("/editor/intents/{key}", response_class=HTMLResponse)
def intent_edit(request: Request, who: SignedIn, store: ContentDep, engine: AssistantDep, key: str):
    spec = engine.pack.intents.get(key)
    return _edit_page(request, who, store, "intents", "intent", key, "intents", f"意图：{spec.label if spec else key}",
                      "意图文件（YAML：例句 examples、关键词 keywords）", "editor")


@router.get("/editor/rules", response_class=HTMLResponse)
def rules_list(request: Request, who: SignedIn, store: ContentDep, engine: AssistantDep, q: str = "",
               deleted: str = "", deleted_id: str = ""):
    rules = engine.rules
    rows = [
        {"id": r.id, "name": r.title or r.id, "url": f"/editor/rules/{r.id}",
         "cells": [SEVERITY_NAMES.get(r.severity, r.severity), r.message]}
        for r in sorted(rules, key=lambda r: r.id)
        if not q or q.lower() in f"{r.id} {r.title} {r.message}".lower()
    ]
    extras = _list_extras(store, "rule", "rules", {r.id for r in rules}, deleted, deleted_id)
    return _render(request, "documents_list.html", who, nav="rules", title="风险规则", rows=rows, q=q,
                   headers=["规则", "级别", "说明"], can_edit=who.allows("admin"), new_url="/editor/rules/new", **extras)


@router.get("/editor/rules/new", response_class=HTMLResponse)
def rule_new(request: Request, who: SignedIn, store: ContentDep):
    return _edit_page(request, who, store, "rules", "rule", None, "rules", "新建规则", "规则文件（YAML）", "admin", "id: new_rule\n")


@router.get("/editor/rules/{key}", response_class=HTMLResponse)
def rule_edit(request: Request, who: SignedIn, store: ContentDep, key: str):
    return _edit_page(request, who, store, "rules", "rule", key, "rules", f"风险规则：{key}", "规则文件（YAML）", "admin")


# -- the word lists and the variables (admin) -----------------------------------------------------


@dataclass(frozen=True)
class WordList:
    kind: str
    key: str
    title: str
    about: str
    source_label: str
    source_intro: str = ""

    @property
    def url(self) -> str:
        return f"/editor/{self.kind}/{self.key}"


WORD_LISTS = [
    WordList("lexicon", "couriers", "快递公司",
             "快递公司的名称、别名和运单号开头。快递检查（店铺合作的快递、答应买家发哪家）和从聊天里认出快递、运单号都用它。",
             "快递公司词表（YAML：name 名称、aliases 别名、tracking_prefixes 运单号开头）"),
    WordList("lexicon", "domain", "行业词",
             "分词时要保持完整的词（如 运费险、菜鸟驿站、七天无理由），意图匹配和关键词才会把它们当作一个词。",
             "行业词表（每行一个词，后面是词频和词性，如：色差 2000 n）"),
    WordList("lexicon", "promises", "承诺用语",
             "客服的哪些话算答应了买家（发哪家快递、哪天发货、补偿多少……）：记进承诺台账，后面的回复与它矛盾时提醒。",
             "承诺词表（YAML）",
             "承诺用语由正则表达式写成，暂时只能在源文件中修改。每一类承诺（kind）有：怎样算承诺（promise）、怎样算推翻"
             "（refuse）、订单备注的写法（note），以及应找到（find）/不应找到（skip）的例句；发布前会逐条检查这些例句，"
             "有一条不通过就不会发布。文件开头的注释说明了每个字段。"),
    WordList("variables", "variables", "变量",
             "模板里可以用的变量（订单号、买家昵称……）和它们的中文名：客服没有填的变量显示为【中文名】，示例值用于编辑器的预览。",
             "变量表（YAML：name 变量名、label 中文名、sample 示例值、description 说明）"),
]


def _admin_only(request: Request, who: Principal):
    """The 403 page for anyone but an admin (the word lists change what every reply is checked against)."""
    if who.allows("admin"):
        return None
    return _render(request, "documents_list.html", who, 403, nav="lexicon", title="需要管理员权限", rows=[],
                   headers=["—"], q="", can_edit=False, new_url="")


@router.get("/editor/lexicon", response_class=HTMLResponse)
def lexicon_list(request: Request, who: SignedIn, store: ContentDep):
    if (refused := _admin_only(request, who)) is not None:
        return refused
    rows = []
    for w in WORD_LISTS:
        info = next((i for i in store.list(w.kind) if i.key == w.key), None)
        rows.append({"list": w, "info": info, "draft": store.get_draft(w.kind, w.key)})
    return _render(request, "lexicon_list.html", who, nav="lexicon", rows=rows)


def _word_list_page(request: Request, who: Principal, store: ContentStore, kind: str, key: str):
    if (refused := _admin_only(request, who)) is not None:
        return refused
    w = next((w for w in WORD_LISTS if w.kind == kind and w.key == key), None)
    if w is None:
        return _render(request, "documents_list.html", who, 404, nav="lexicon", title=f"没有这个词表：{key}", rows=[],
                       headers=["名称"], q="", can_edit=False, new_url="")
    return _edit_page(request, who, store, kind, kind, key, "lexicon", f"词库：{w.title}", w.source_label, "admin",
                      about=w.about, source_intro=w.source_intro)


@router.get("/editor/lexicon/{key}", response_class=HTMLResponse)
def lexicon_edit(request: Request, who: SignedIn, store: ContentDep, key: str):
    return _word_list_page(request, who, store, "lexicon", key)


@router.get("/editor/variables/{key}", response_class=HTMLResponse)
def variables_edit(request: Request, who: SignedIn, store: ContentDep, key: str):
    return _word_list_page(request, who, store, "variables", key)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, who: SignedIn):
    if not who.allows("admin"):
        return _render(request, "documents_list.html", who, 403, nav="admin", title="需要管理员权限", rows=[],
                       headers=["—"], q="", can_edit=False, new_url="")
    return _render(request, "admin.html", who, nav="admin")
