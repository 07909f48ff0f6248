"""Editing content over JSON: /v1/templates, /v1/intents, /v1/rules.

One router per kind, built by ``documents_router``: list, read, create, update
(with ``If-Match: "3"`` → 412, or ``base_version: 3`` → 409 on a stale base),
delete, history, one version, diff, rollback.  Every save is validated first
(``editing/validate.py``) and takes effect for the next request at once.
"""


from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.auth import AgentDep, Principal, require
from app.api.deps import AssistantDep
from app.api.errors import ProblemError, problem_responses
from app.api.schemas import MAX_DB_INT
from app.editing.validate import Kind, validate
from app.store.content import ContentStore
from app.store.errors import Conflict, NotFound

MAX_SOURCE = 60_000
#: How long a save waits for the engine to serve it before answering live=false.
LIVE_WAIT_S = 5.0
LABELS = {"template": "模板", "intent": "意图", "rule": "规则"}


class SaveBody(BaseModel):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0 for false, no "3" for 3

    source: str = Field(min_length=1, max_length=MAX_SOURCE, description="文件全文：意图/规则为 YAML，模板为元数据+正文")
    comment: str = Field("", max_length=200, description="这次修改的说明")
    base_version: int | None = Field(None, ge=0, le=MAX_DB_INT, description="基于哪个版本修改（或用 If-Match 头）")
    confirm_warnings: bool = Field(False, description="确认保存带 warn 级合规提示的模板")


class RollbackBody(BaseModel):
    model_config = ConfigDict(strict=True)

    version: int = Field(ge=1, le=MAX_DB_INT, description="回滚到的版本")
    base_version: int | None = Field(None, ge=0, le=MAX_DB_INT)
    comment: str = Field("", max_length=200)


def get_store(request: Request) -> ContentStore:
    return request.app.state.store


StoreDep = Annotated[ContentStore, Depends(get_store)]
#: Version numbers in paths and queries: bounded like the store's 32-bit columns, so 2**70 is a 422, not a 500.
VersionPath = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="版本号")]
IfMatch = Annotated[str | None, Header(description='基于的版本号，如 "3"（已过期返回 412）')]


def etag(version: int) -> str:
    return f'"{version}"'


def resolve_base(if_match: str | None, field_value: int | None, action: str) -> int:
    """The version a write is based on: the If-Match header, else the body's/query's field; 428 if neither."""
    if if_match is not None:
        v = if_match.strip().removeprefix("W/").strip('"')
        if not (v.isascii() and v.isdigit() and len(v) <= 10):
            raise ProblemError(400, "If-Match 应为版本号，如 \"3\"", [{"field": "If-Match", "message": "应为版本号"}])
        return int(v)
    if field_value is None:
        raise ProblemError(
            428, f"{action}需要指明基于哪个版本：If-Match 头或 base_version 字段",
            [{"field": "base_version", "message": "缺少版本号"}],
        )
    return field_value


def _flag_dicts(flags) -> list[dict]:
    return [f.model_dump() for f in flags]


def _version_dict(v) -> dict:
    return {
        "version": v.version,
        "author": v.author,
        "created_at": v.created_at.isoformat(),
        "comment": v.comment,
        "deleted": v.deleted,
    }


def documents_router(kind: Kind, plural: str, write_role: str) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{plural}", tags=["内容编辑"], responses=problem_responses(401))
    writes = problem_responses(403, 404, 409, 412, 428)
    label = LABELS[kind]
    Reader = AgentDep
    Writer = Annotated[Principal, Depends(require(write_role))]  # type: ignore[arg-type]

    def current(store: ContentStore, key: str):
        v = store.get(kind, key)
        if v is None or v.deleted:
            raise ProblemError(404, f"没有这个{label}：{key}")
        return v

    def checked(engine, body: SaveBody, key: str | None):
        result = validate(kind, body.source, engine)
        if result.key is not None and key is not None and result.key != key:
            result.problems.append({"line": 2, "message": f"id 不能修改：应为 {key}（新建请用 POST）"})
        if not result.ok:
            raise ProblemError(
                422, f"{label}有 {len(result.problems)} 处问题，未保存",
                [{"field": "source", "message": f"第{p['line']}行：{p['message']}", "line": p["line"]} for p in result.problems],
            )
        if result.blocking:
            raise ProblemError(
                422, f"{label}含有禁止发送的内容，未保存",
                [{"field": "source", "message": f"「{f.excerpt}」{f.message}"} for f in result.blocking],
                flags=_flag_dicts(result.flags),
            )
        if result.warnings and not body.confirm_warnings:
            raise ProblemError(
                422, f"{label}含有需要确认的风险提示；确认无误请勾选“确认保存”（confirm_warnings）",
                [{"field": "confirm_warnings", "message": f"「{f.excerpt}」{f.message}"} for f in result.warnings],
                flags=_flag_dicts(result.flags), needs_confirmation=True,
            )
        return result

    def saved(request: Request, response: Response, v, status: int = 200) -> dict:
        # The save is committed; answer once the engine serves it (a template edit: milliseconds),
        # or after LIVE_WAIT_S with live=false while the rebuild (retraining) goes on.
        holder = request.app.state.holder
        live = holder.wait(holder.refresh_soon(), LIVE_WAIT_S)
        response.status_code = status
        response.headers["ETag"] = etag(v.version)
        return {"id": v.key, **_version_dict(v), "live": live}

    @router.get("", summary=f"{label}列表")
    def list_docs(store: StoreDep, engine: AssistantDep, _: Reader, q: str | None = None, intent: str | None = None) -> dict:
        items = []
        for info in store.list(kind):
            item = {"id": info.key, **describe(kind, engine, info.key), "version": info.current_version,
                    "updated_at": info.updated_at.isoformat(), "author": info.author}
            if intent and item.get("intent") != intent:
                continue
            if q and q.lower() not in " ".join(str(v) for v in item.values()).lower():
                continue
            items.append(item)
        return {plural: items}

    @router.post("", status_code=201, summary=f"新建{label}", responses=problem_responses(403, 409))
    def create(body: SaveBody, request: Request, response: Response, store: StoreDep, engine: AssistantDep, who: Writer) -> dict:
        result = checked(engine, body, None)
        try:
            v = store.save(kind, result.key, body.source, author=who.name, comment=body.comment or "新建", base_version=None)
        except Conflict as c:
            raise ProblemError(409, f"{label} {result.key} 已存在（当前第{c.current_version}版），请改用 PUT", current_version=c.current_version) from None
        return saved(request, response, v, 201)

    @router.get("/{key:path}/versions", summary=f"{label}的版本历史", responses=problem_responses(404))
    def history(key: str, store: StoreDep, _: Reader) -> dict:
        versions = store.history(kind, key)
        if not versions:
            raise ProblemError(404, f"没有这个{label}：{key}")
        return {"id": key, "versions": [_version_dict(v) for v in versions]}

    @router.get("/{key:path}/versions/{version}", summary=f"{label}的某个版本", responses=problem_responses(404))
    def one_version(key: str, version: VersionPath, store: StoreDep, _: Reader) -> dict:
        v = store.get(kind, key, version)
        if v is None:
            raise ProblemError(404, f"{label} {key} 没有第{version}版")
        return {"id": key, "source": v.body, **_version_dict(v)}

    @router.get("/{key:path}/diff", summary=f"比较{label}的两个版本", responses=problem_responses(404))
    def diff(
        key: str, store: StoreDep, _: Reader,
        a: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="旧版本号")],
        b: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="新版本号")],
    ) -> dict:
        try:
            text = store.diff(kind, key, a, b)
        except NotFound as e:
            raise ProblemError(404, f"{label} {key} 没有第{e.version}版") from None
        return {"id": key, "from": a, "to": b, "diff": text}

    @router.post("/{key:path}/rollback", summary=f"把{label}回滚到旧版本（生成新版本）", responses=writes)
    def rollback(
        key: str, body: RollbackBody, request: Request, response: Response, store: StoreDep, engine: AssistantDep,
        who: Writer, if_match: IfMatch = None,
    ) -> dict:
        base = resolve_base(if_match, body.base_version, "回滚")
        old = store.get(kind, key, body.version)
        if old is None or old.deleted:
            raise ProblemError(404, f"{label} {key} 没有第{body.version}版")
        # model_construct: an old version is checked as it is, even one longer than a save may be now
        checked(engine, SaveBody.model_construct(source=old.body, comment="", base_version=None, confirm_warnings=True), key)
        try:
            v = store.rollback(kind, key, body.version, author=who.name, base_version=base)
        except Conflict as c:
            raise _conflict(label, key, c, if_match is not None) from None
        return saved(request, response, v)

    @router.get("/{key:path}", summary=f"读取{label}", responses=problem_responses(404))
    def read(key: str, response: Response, store: StoreDep, engine: AssistantDep, _: Reader) -> dict:
        v = current(store, key)
        response.headers["ETag"] = etag(v.version)
        return {"id": key, "source": v.body, **_version_dict(v)}

    @router.put("/{key:path}", summary=f"修改{label}（需带版本）", responses=writes)
    def update(
        key: str, body: SaveBody, request: Request, response: Response, store: StoreDep, engine: AssistantDep,
        who: Writer, if_match: IfMatch = None,
    ) -> dict:
        base = resolve_base(if_match, body.base_version, "修改")
        current(store, key)
        checked(engine, body, key)
        try:
            v = store.save(kind, key, body.source, author=who.name, comment=body.comment, base_version=base)
        except Conflict as c:
            raise _conflict(label, key, c, if_match is not None) from None
        return saved(request, response, v)

    @router.delete("/{key:path}", summary=f"删除{label}（保留历史）", responses=writes)
    def delete(
        key: str, request: Request, response: Response, store: StoreDep, engine: AssistantDep, who: Writer,
        if_match: IfMatch = None,
        base_version: Annotated[int | None, Query(ge=0, le=MAX_DB_INT, description="基于的版本号（或用 If-Match 头）")] = None,
    ) -> dict:
        base = resolve_base(if_match, base_version, "删除")
        current(store, key)
        if kind == "intent" and engine.templates_for(key):
            raise ProblemError(409, f"意图 {key} 还有 {len(engine.templates_for(key))} 个模板，请先删除或改挂这些模板")
        try:
            v = store.delete(kind, key, author=who.name, base_version=base)
        except Conflict as c:
            raise _conflict(label, key, c, if_match is not None) from None
        return saved(request, response, v)

    return router


def describe(kind: Kind, engine, key: str) -> dict:
    """The parsed fields of a document as the engine serves it (for listings)."""
    if kind == "intent":
        i = engine.pack.intents.get(key)
        if i is None:
            return {"label": "例外：不属于任何意图" if key.startswith("_") else key}
        return {"label": i.label, "category": i.category, "priority": i.priority, "examples": len(i.examples),
                "keywords": i.keywords, "templates": [t.id for t in engine.templates_for(key)]}
    if kind == "template":
        t = engine.pack.templates.get(key)
        return {"intent": t.intent, "title": t.title, "shortcode": t.shortcode, "pinned": bool(t.pinned), "tags": t.tags,
                "variables": t.variables} if t else {}
    r = next((r for r in engine.rules if r.id == key), None)
    return {"severity": r.severity, "title": r.title, "message": r.message} if r else {}


def _conflict(label: str, key: str, c: Conflict, via_header: bool) -> ProblemError:
    return ProblemError(
        412 if via_header else 409,
        f"{label} {key} 已被别人改成第{c.current_version}版，你的修改基于旧版本，未保存。请先查看最新版本再修改。",
        [{"field": "If-Match" if via_header else "base_version", "message": f"当前版本为 {c.current_version}"}],
        current_version=c.current_version,
    )
