"""Editing content over JSON: /v1/templates, /v1/intents, /v1/rules.

One router per kind, built by ``documents_router``: list, read, create, update
(with ``If-Match: "3"`` → 412, or ``base_version: 3`` → 409 on a stale base),
delete, history, one version, diff (text and character-level), rollback; drafts
(save, read, discard; never served) and publish (a draft, or the given text, saved
like an update); and, for a save refused as stale, what changed meanwhile merged
with the edit (``…/merge``).  Every save is validated first (``editing/validate.py``)
and takes effect for the next request at once.
"""


from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.auth import AgentDep, Principal, require
from app.api.deps import AssistantDep, ContentDep, HolderDep
from app.api.errors import ProblemError, problem_responses
from app.api.schemas import MAX_DB_INT
from app.editing.publishing import conflict_report, draft_key, version_dict
from app.editing.validate import Kind, validate
from app.engine.holder import AssistantHolder
from app.store.content import ContentStore
from app.store.errors import Conflict, NotFound

MAX_SOURCE = 60_000
#: How long a save waits for the engine to serve it before answering live=false.
LIVE_WAIT_S = 5.0
LABELS = {"template": "模板", "intent": "意图", "rule": "规则", "lexicon": "词表", "variables": "变量表"}


class SaveBody(BaseModel):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0 for false, no "3" for 3

    source: str = Field(min_length=1, max_length=MAX_SOURCE, description="文件全文：意图/规则为 YAML，模板为元数据+正文")
    comment: str = Field("", max_length=200, description="这次修改的说明")
    base_version: int | None = Field(None, ge=0, le=MAX_DB_INT, description="基于哪个版本修改（或用 If-Match 头）")
    confirm_warnings: bool = Field(False, description="确认保存带“需要确认”提示的内容")


class PublishBody(SaveBody):
    source: str | None = Field(  # type: ignore[assignment]
        None, min_length=1, max_length=MAX_SOURCE, description="要发布的文件全文；不填则发布已保存的草稿")
    base_version: int | None = Field(
        None, ge=0, le=MAX_DB_INT, description="基于哪个版本修改（或用 If-Match 头）；新建时为 null")


class DraftBody(BaseModel):
    model_config = ConfigDict(strict=True)

    source: str = Field(min_length=1, max_length=MAX_SOURCE, description="草稿全文（不必已通过检查）")
    base_version: int | None = Field(None, ge=1, le=MAX_DB_INT, description="草稿基于哪个已发布版本；新建时为 null")


class MergeBody(BaseModel):
    model_config = ConfigDict(strict=True)

    source: str = Field(min_length=1, max_length=MAX_SOURCE, description="您的修改（文件全文）")
    base_version: int = Field(ge=1, le=MAX_DB_INT, description="您的修改基于的版本")


class RollbackBody(BaseModel):
    model_config = ConfigDict(strict=True)

    version: int = Field(ge=1, le=MAX_DB_INT, description="回滚到的版本")
    base_version: int | None = Field(None, ge=0, le=MAX_DB_INT)
    comment: str = Field("", max_length=200)


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


def _draft_info(d) -> dict | None:
    """Who saved a document's draft when (``None``: no draft)."""
    if d is None:
        return None
    return {"author": d.author, "saved_at": d.saved_at.isoformat(), "base_version": d.base_version}


def _draft_dict(d) -> dict:
    return {"id": d.key, "source": d.body, **(_draft_info(d) or {})}


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
        result = validate(kind, body.source, engine, key=key)
        if result.key is not None and key is not None and result.key != key:
            result.problems.append({"line": 2, "message": f"id 不能修改：应为 {key}（新建请用 POST）"})
        if not result.ok:
            raise ProblemError(
                422, f"{label}有 {len(result.problems)} 处问题，未保存",
                [{"field": "source", "message": f"第{p['line']}行：{p['message']}",
                  **{k: p[k] for k in ("line", "column", "hint") if k in p}} for p in result.problems],
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

    def saved(holder: AssistantHolder, response: Response, v, status: int = 200) -> dict:
        # The save is committed; answer once the engine serves it (a template edit: milliseconds),
        # or after LIVE_WAIT_S with live=false while the rebuild (retraining) goes on.
        live = holder.wait(holder.refresh_soon(), LIVE_WAIT_S)
        response.status_code = status
        response.headers["ETag"] = etag(v.version)
        return {"id": v.key, **version_dict(v), "live": live}

    @router.get("", summary=f"{label}列表")
    def list_docs(
        store: ContentDep, engine: AssistantDep, _: Reader, q: str | None = None, intent: str | None = None,
        include_deleted: Annotated[bool, Query(description="也列出已删除的（历史仍在，可回滚恢复）")] = False,
    ) -> dict:
        drafts = {d.key: d for d in store.drafts(kind)}
        every = store.list(kind, include_deleted=True)
        live = {i.key for i in every if not i.deleted}
        items = []
        for info in every:
            if info.deleted and not include_deleted:
                continue
            item = {"id": info.key, **describe(kind, engine, info.key), "version": info.current_version,
                    "updated_at": info.updated_at.isoformat(), "author": info.author}
            if intent and item.get("intent") != intent:
                continue
            if q and q.lower() not in " ".join(str(v) for v in item.values()).lower():
                continue
            items.append({**item, "deleted": info.deleted, "draft": _draft_info(drafts.get(info.key))})
        # drafts of documents not published (or deleted): not served, but an editor must find them
        unpublished = [
            {"id": d.key, **(_draft_info(d) or {})} for d in drafts.values()
            if d.key not in live and (not q or q.lower() in d.key.lower()) and not intent
        ]
        return {plural: items, "drafts": unpublished}

    @router.post("", status_code=201, summary=f"新建{label}", responses=problem_responses(403, 409))
    def create(body: SaveBody, holder: HolderDep, response: Response, store: ContentDep, engine: AssistantDep, who: Writer) -> dict:
        result = checked(engine, body, None)
        try:
            v = store.save(kind, result.key, body.source, author=who.name, comment=body.comment or "新建", base_version=None)
        except Conflict as c:
            raise ProblemError(409, f"{label} {result.key} 已存在（当前第{c.current_version}版），请改用 PUT", current_version=c.current_version) from None
        return saved(holder, response, v, 201)

    @router.get("/{key:path}/versions", summary=f"{label}的版本历史", responses=problem_responses(404))
    def history(key: str, store: ContentDep, _: Reader) -> dict:
        versions = store.history(kind, key)
        if not versions:
            raise ProblemError(404, f"没有这个{label}：{key}")
        return {"id": key, "versions": [version_dict(v) for v in versions],
                "draft": _draft_info(store.get_draft(kind, key))}

    @router.get("/{key:path}/versions/{version}", summary=f"{label}的某个版本", responses=problem_responses(404))
    def one_version(key: str, version: VersionPath, store: ContentDep, _: Reader) -> dict:
        v = store.get(kind, key, version)
        if v is None:
            raise ProblemError(404, f"{label} {key} 没有第{version}版")
        return {"id": key, "source": v.body, **version_dict(v)}

    @router.get("/{key:path}/diff", summary=f"比较{label}的两个版本", responses=problem_responses(404))
    def diff(
        key: str, store: ContentDep, _: Reader,
        a: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="旧版本号")],
        b: Annotated[int, Query(ge=1, le=MAX_DB_INT, description="新版本号")],
    ) -> dict:
        try:
            text = store.diff(kind, key, a, b)
        except NotFound as e:
            raise ProblemError(404, f"{label} {key} 没有第{e.version}版") from None
        return {"id": key, "from": a, "to": b, "diff": text, "lines": store.diff_lines(kind, key, a, b)}

    @router.post("/draft", status_code=201, summary=f"把新{label}存为草稿（不生效）", responses=problem_responses(403, 409))
    def new_draft(body: DraftBody, store: ContentDep, who: Writer) -> dict:
        key = draft_key(body.source)
        if key is None:
            raise ProblemError(422, f"草稿需要写明{label}的 id（例如 id: thanks/new_reply，只用字母、数字、下划线和 /）",
                               [{"field": "source", "message": "缺少 id 或 id 的写法不对"}])
        if store.get(kind, key) is not None:
            raise ProblemError(409, f"{label} {key} 已存在，请在它的编辑页保存草稿",
                               [{"field": "source", "message": f"id {key} 已被使用"}])
        if (other := store.get_draft(kind, key)) is not None:
            raise ProblemError(409, f"已有 id 为 {key} 的草稿（{other.author} 保存），请换一个 id，或打开那份草稿继续编辑",
                               [{"field": "source", "message": f"id {key} 已有草稿"}])
        return _draft_dict(store.save_draft(kind, key, body.source, author=who.name, base_version=None))

    @router.get("/{key:path}/draft", summary=f"读取{label}的草稿", responses=problem_responses(403, 404))
    def read_draft(key: str, store: ContentDep, _: Writer) -> dict:  # not approved yet: for the editors only
        d = store.get_draft(kind, key)
        if d is None:
            raise ProblemError(404, f"{label} {key} 没有草稿")
        return _draft_dict(d)

    @router.put("/{key:path}/draft", summary=f"保存{label}的草稿（不生效）", responses=problem_responses(403, 404, 409))
    def save_draft(key: str, body: DraftBody, store: ContentDep, who: Writer) -> dict:
        declared = draft_key(body.source)
        if declared is not None and declared != key:
            raise ProblemError(422, f"草稿里的 id 应为 {key}", [{"field": "source", "message": f"id 不能改成 {declared}"}])
        live = store.get(kind, key)
        if body.base_version is None and live is not None:
            raise ProblemError(409, f"{label} {key} 已发布（第{live.version}版），草稿需要指明基于哪个版本",
                               [{"field": "base_version", "message": f"当前版本为 {live.version}"}], current_version=live.version)
        try:
            d = store.save_draft(kind, key, body.source, author=who.name, base_version=body.base_version)
        except ValueError as e:  # a key the store refuses (spaces around it, too long)
            raise ProblemError(422, f"{label}的标识无效：{key!r}", [{"field": "key", "message": str(e)}]) from None
        except NotFound:
            raise ProblemError(404, f"{label} {key} 没有第{body.base_version}版",
                               [{"field": "base_version", "message": "没有这个版本"}]) from None
        return _draft_dict(d)

    @router.delete("/{key:path}/draft", summary=f"丢弃{label}的草稿", responses=problem_responses(403, 404))
    def discard_draft(key: str, store: ContentDep, _: Writer) -> dict:
        if not store.discard_draft(kind, key):
            raise ProblemError(404, f"{label} {key} 没有草稿")
        return {"id": key, "discarded": True}

    @router.post("/{key:path}/publish", summary=f"发布{label}（草稿或给出的全文，检查同保存）", responses=writes)
    def publish(
        key: str, body: PublishBody, holder: HolderDep, response: Response, store: ContentDep, engine: AssistantDep,
        who: Writer, if_match: IfMatch = None,
    ) -> dict:
        source = body.source
        if source is None:
            d = store.get_draft(kind, key)
            if d is None:
                raise ProblemError(404, f"{label} {key} 没有草稿可发布", [{"field": "source", "message": "没有草稿，请给出全文"}])
            source = d.body
        live = store.get(kind, key)
        if live is None:  # a new document (or one deleted): published with no base, like a create
            base = None
            if if_match is not None or body.base_version:
                raise ProblemError(404, f"没有这个{label}：{key}（新建时不要带版本号）")
        else:
            base = resolve_base(if_match, body.base_version, "发布")
        checked(engine, body.model_copy(update={"source": source}), key)
        try:
            v = store.save(kind, key, source, author=who.name, comment=body.comment or ("新建" if live is None else ""),
                           base_version=base, discard_draft=True)
        except Conflict as c:
            raise _conflict(label, key, c, if_match is not None) from None
        return saved(holder, response, v, 201 if live is None else 200)

    @router.post("/{key:path}/merge", summary=f"{label}保存冲突时：对方改了什么，以及与您的修改合并的结果",
                 responses=problem_responses(403, 404))
    def merge(key: str, body: MergeBody, store: ContentDep, _: Writer) -> dict:
        try:
            report = conflict_report(store, kind, key, body.base_version, body.source)
        except NotFound:
            raise ProblemError(404, f"{label} {key} 没有第{body.base_version}版",
                               [{"field": "base_version", "message": "没有这个版本"}]) from None
        return {"id": key, **report.as_dict()}

    @router.post("/{key:path}/rollback", summary=f"把{label}回滚到旧版本（生成新版本）", responses=writes)
    def rollback(
        key: str, body: RollbackBody, holder: HolderDep, response: Response, store: ContentDep, engine: AssistantDep,
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
        return saved(holder, response, v)

    @router.get("/{key:path}", summary=f"读取{label}", responses=problem_responses(404))
    def read(key: str, response: Response, store: ContentDep, engine: AssistantDep, _: Reader) -> dict:
        v = current(store, key)
        response.headers["ETag"] = etag(v.version)
        return {"id": key, "source": v.body, **version_dict(v), "draft": _draft_info(store.get_draft(kind, key))}

    @router.put("/{key:path}", summary=f"修改{label}（需带版本）", responses=writes)
    def update(
        key: str, body: SaveBody, holder: HolderDep, response: Response, store: ContentDep, engine: AssistantDep,
        who: Writer, if_match: IfMatch = None,
    ) -> dict:
        base = resolve_base(if_match, body.base_version, "修改")
        current(store, key)
        checked(engine, body, key)
        try:
            v = store.save(kind, key, body.source, author=who.name, comment=body.comment, base_version=base)
        except Conflict as c:
            raise _conflict(label, key, c, if_match is not None) from None
        return saved(holder, response, v)

    @router.delete("/{key:path}", summary=f"删除{label}（保留历史）", responses=writes)
    def delete(
        key: str, holder: HolderDep, response: Response, store: ContentDep, engine: AssistantDep, who: Writer,
        if_match: IfMatch = None,
        base_version: Annotated[int | None, Query(ge=0, le=MAX_DB_INT, description="基于的版本号（或用 If-Match 头）")] = None,
    ) -> dict:
        base = resolve_base(if_match, base_version, "删除")
        current(store, key)
        if kind in ("lexicon", "variables"):  # the assistant needs them: edit or roll back instead
            raise ProblemError(409, f"{label}不能删除，只能修改或回滚到旧版本")
        if kind == "intent" and engine.templates_for(key):
            raise ProblemError(409, f"意图 {key} 还有 {len(engine.templates_for(key))} 个模板，请先删除或改挂这些模板")
        try:
            v = store.delete(kind, key, author=who.name, base_version=base)
        except Conflict as c:
            raise _conflict(label, key, c, if_match is not None) from None
        return saved(holder, response, v)

    return router


def describe(kind: Kind, engine, key: str) -> dict:
    """The parsed fields of a document as the engine serves it (for listings)."""
    if kind == "intent":
        i = engine.pack.intents.get(key)
        if i is None:
            return {"label": "例外：不属于任何意图" if key.startswith("_") else key}
        return {"label": i.label, "category": i.category, "priority": i.priority, "examples": len(i.examples),
                "keywords": i.keywords, "templates": [t.id for t in engine.templates_for(key)]}
    if kind in ("lexicon", "variables"):
        return {}
    if kind == "template":
        t = engine.pack.templates.get(key)
        return {"intent": t.intent, "title": t.title, "shortcode": t.shortcode, "pinned": bool(t.pinned), "tags": t.tags,
                "variables": t.variables} if t else {}
    r = next((r for r in engine.rules if r.id == key), None)
    return {"severity": r.severity, "title": r.title, "message": r.message} if r else {}


def _conflict(label: str, key: str, c: Conflict, via_header: bool) -> ProblemError:
    return ProblemError(
        412 if via_header else 409,
        f"{label} {key} 已被别人改成第{c.current_version}版，您的修改基于旧版本，未保存。请查看对方改了什么，合并后再发布。",
        [{"field": "If-Match" if via_header else "base_version", "message": f"当前版本为 {c.current_version}"}],
        current_version=c.current_version,
    )
