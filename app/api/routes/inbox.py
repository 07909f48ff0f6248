"""The editors' learning inbox over JSON (editor role): /v1/inbox, /v1/inbox/preview, /v1/inbox/apply.

* ``GET /v1/inbox?from=&to=&kind=&shop=``: the messages of the period with no
  confident match, a low-confidence match or a dismissed suggestion, grouped by
  similarity (``app.editing.inbox``), heaviest group first.
* ``POST /v1/inbox/preview``: what saving an action would do — a candidate matcher is
  trained on the changed content and each message's match now and after is listed.
* ``POST /v1/inbox/apply``: the same body with ``base_version`` (or ``If-Match``):
  saves the intent as a new version, like any edit (409/412 on a stale base), and
  answers once the engine serves it (``live``).

Handlers are plain ``def``: the store and the training run in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field, ValidationError

from app.api.auth import EditorDep
from app.api.deps import AssistantDep, ContentDep, HolderDep, PeriodDep, SettingsDep, StoreEngineDep
from app.api.errors import ProblemError, problem_responses
from app.api.routes.documents import LIVE_WAIT_S, etag, resolve_base
from app.api.schemas import MAX_DB_INT, STRICT
from app.config import Settings
from app.content.models import ID_RE, IntentSpec, Priority
from app.content.problems import field_errors
from app.editing.inbox import (
    MAX_EXAMPLE,
    MAX_GROUP_TEXTS,
    InboxError,
    build_groups,
    preview,
    propose,
)
from app.editing.validate import validate
from app.matching.grouping import DEFAULT_THRESHOLD
from app.matching.index_cache import IndexCache
from app.stats import utc_bounds
from app.store.errors import Conflict
from app.store.inbox import INBOX_KINDS, LOW_CONFIDENCE, InboxReader

router = APIRouter(prefix="/v1/inbox", tags=["例句收件箱"], responses=problem_responses(401, 403))


class NewIntent(BaseModel):
    model_config = STRICT

    id: str = Field(pattern=ID_RE, max_length=64, description="新意图的 id：小写字母开头，字母、数字、下划线")
    label: str = Field(min_length=1, max_length=40, description="名称，如 积分兑换")
    category: str = Field(min_length=1, max_length=40, description="问题分类，如 操作咨询")
    priority: Priority = Field("medium", description="high、medium 或 low")
    description: str = Field("", max_length=500, description="这个意图包括什么、不包括什么")


class InboxAction(BaseModel):
    model_config = STRICT

    action: Literal["add_example", "out_of_scope", "new_intent"] = Field(
        description="add_example 加为某意图的例句；out_of_scope 设为无关消息；new_intent 用这些消息新建意图"
    )
    messages: list[Annotated[str, Field(min_length=1, max_length=MAX_EXAMPLE * 8)]] = Field(
        min_length=1, max_length=MAX_GROUP_TEXTS, description="这一组的消息（收件箱给出的 texts，已脱敏）"
    )
    intent: str | None = Field(None, min_length=1, max_length=64, description="add_example：加到哪个意图")
    new_intent: NewIntent | None = Field(None, description="new_intent：新意图的 id、名称、分类")
    comment: str = Field("", max_length=200, description="这次修改的说明")


class ApplyAction(InboxAction):
    base_version: int | None = Field(
        None, ge=0, le=MAX_DB_INT, description="预览时意图的版本（preview 返回的 base_version）；新建意图不填"
    )


def _problem(e: InboxError) -> ProblemError:
    errors = [{"field": e.field, "message": e.detail.split("：", 1)[-1]}] if e.field else None
    return ProblemError(e.status, e.detail, errors, **e.extra)


def _change(engine, store, body: InboxAction):
    try:
        return propose(
            engine, store, body.action, body.messages, body.intent,
            body.new_intent.model_dump() if body.new_intent is not None else None,
        )
    except InboxError as e:
        raise _problem(e) from None
    except ValidationError as e:  # the new intent's fields, as IntentSpec checks them
        first = field_errors(e.errors()[:1], model=IntentSpec, json=True)[0]
        where = f"new_intent.{first.field}" if first.field else "new_intent"
        raise ProblemError(422, f"{where}：{first.bare}", [{"field": where, "message": first.bare}]) from None


def _index_cache(settings: Settings) -> IndexCache:
    # The candidate goes into the engine's cache: the rebuild after the save finds it trained.
    return IndexCache(settings.cache_dir)


@router.get("", summary="例句收件箱：未匹配、低置信度和被拒的消息，按相似程度分组")
def inbox(
    store_engine: StoreEngineDep,
    engine: AssistantDep,
    _: EditorDep,
    asked: PeriodDep,
    kind: str | None = Query(
        None, max_length=60, description="no_match、low_confidence、dismissed，可用逗号连写；默认全部"
    ),
) -> dict:
    first, last, shop = asked.first, asked.last, asked.shop
    kinds = tuple(k.strip() for k in (kind or "").split(",") if k.strip()) or INBOX_KINDS
    wrong = [k for k in kinds if k not in INBOX_KINDS]
    if wrong:
        raise ProblemError(
            422, f"kind：没有「{wrong[0]}」这一类，可选 {', '.join(INBOX_KINDS)}",
            [{"field": "kind", "message": f"可选 {', '.join(INBOX_KINDS)}"}],
        )
    start, end = utc_bounds(first, last)
    reader = InboxReader(store_engine)
    messages = reader.messages(start, end, shop=shop or None, kinds=kinds)
    groups, handled = build_groups(messages, engine)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "shop": shop or None,
        "kinds": list(kinds),
        "low_confidence_below": LOW_CONFIDENCE,
        "threshold": DEFAULT_THRESHOLD,
        "messages": len(messages),
        "groups": groups,
        "handled_groups": handled,
    }


@router.post("/preview", summary="预览：保存后这些消息会匹配到哪个意图", responses=problem_responses(404, 409, 503))
def preview_action(
    body: InboxAction, store: ContentDep, engine: AssistantDep, settings: SettingsDep, _: EditorDep
) -> dict:
    change = _change(engine, store, body)
    try:
        return preview(engine, change, body.messages, _index_cache(settings))
    except InboxError as e:
        raise _problem(e) from None


@router.post(
    "/apply", summary="保存：把消息加为例句（生成意图的新版本）", responses=problem_responses(404, 409, 412, 428)
)
def apply_action(
    body: ApplyAction,
    response: Response,
    store: ContentDep,
    engine: AssistantDep,
    holder: HolderDep,
    who: EditorDep,
    if_match: Annotated[str | None, Header(description='基于的版本号，如 "3"（已过期返回 412）')] = None,
) -> dict:
    change = _change(engine, store, body)
    if body.action == "new_intent":
        base = None
    else:
        base = resolve_base(if_match, body.base_version, "保存")
    checked = validate("intent", change.source, engine)
    if not checked.ok:
        raise ProblemError(
            422, f"意图有 {len(checked.problems)} 处问题，未保存",
            [{"field": "messages", "message": f"第{p['line']}行：{p['message']}"} for p in checked.problems],
        )
    comment = body.comment or {
        "add_example": f"收件箱：加入 {len(change.added)} 条例句",
        "out_of_scope": f"收件箱：{len(change.added)} 条消息设为无关",
        "new_intent": f"收件箱：用 {len(change.added)} 条消息新建意图",
    }[body.action]
    try:
        v = store.save("intent", change.key, change.source, author=who.name, comment=comment, base_version=base)
    except Conflict as c:
        via_header = if_match is not None
        if body.action == "new_intent":
            raise ProblemError(409, f"意图 {change.key} 已存在，请换一个 id", [{"field": "new_intent.id", "message": "已存在"}]) from None
        raise ProblemError(
            412 if via_header else 409,
            f"意图「{change.label}」已被别人改成第{c.current_version}版，你的修改基于旧版本，未保存。请刷新后重新预览。",
            [{"field": "If-Match" if via_header else "base_version", "message": f"当前版本为 {c.current_version}"}],
            current_version=c.current_version,
        ) from None
    live = holder.wait(holder.refresh_soon(), LIVE_WAIT_S)
    response.headers["ETag"] = etag(v.version)
    return {
        "action": body.action,
        "intent": change.key,
        "label": change.label,
        "version": v.version,
        "live": live,
        "added": change.added,
        "skipped": change.skipped,
    }
