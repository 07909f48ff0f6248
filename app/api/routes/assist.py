"""The agent-facing operations: suggest, check, parse a pasted chat, list the shops."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.auth import AgentDep, Principal
from app.api.deps import AssistantDep, ShopsDep, resolve_shop
from app.api.errors import problem_responses
from app.api.recording import EventsDep, record_check, record_suggest
from app.api.schemas import (
    CheckRequest,
    CheckResponse,
    ParseRequest,
    ParseResponse,
    ShopsResponse,
    SuggestRequest,
    SuggestResponse,
    TurnIn,
)
from app.guard.promises import order_note
from app.text.conversation import Turn, parse_chat, within_limits

# 401 without a key where agent_access asks for one; 403 for a session cookie without its CSRF token.
router = APIRouter(prefix="/v1", tags=["客服"], responses=problem_responses(401, 403))

# The handlers are async: the engine is CPU work of a few milliseconds that touches no
# database, and a thread hand-off would cost about as much as the work itself.
NO_MATCH_NOTE = "没有把握匹配到售后问题，建议人工回复。"


def _turns(conversation: list[TurnIn] | None) -> list[Turn] | None:
    if conversation is None:
        return None
    return [Turn(t.role, t.text, t.name, t.at) for t in conversation]


def _suggestion(s, suggestion_id: str | None = None) -> dict:
    return {
        "template_id": s.template_id,
        "intent": s.intent,
        "title": s.title,
        "text": s.text,
        "missing_vars": s.missing_vars,
        "flags": [f.model_dump() for f in s.flags],
        "suggestion_id": suggestion_id,
    }


def _context(context: dict, who: Principal) -> dict:
    """The request's template values, with the signed-in agent's own nickname as 【客服昵称】
    where the request does not name one."""
    if who.nickname and not context.get("agent_name"):
        return {**context, "agent_name": who.nickname}
    return context


def _promises(promises) -> dict:
    if promises is None:
        return {}
    return {"promises": [p.as_dict() for p in promises], "order_note": order_note(promises) or None}


@router.post("/suggest", response_model=SuggestResponse, response_model_exclude_unset=True, summary="买家消息 → 意图与建议回复")
async def suggest(body: SuggestRequest, engine: AssistantDep, shops: ShopsDep, who: AgentDep, events: EventsDep) -> dict:
    shop = resolve_shop(shops, body.shop_key, body.shop)
    shop_key = body.shop_key or shops.default_key
    # The shop's agents' feedback orders each intent's templates (a snapshot refreshed in the background).
    result = engine.suggest(
        body.message, _context(body.context, who), shop, body.top_k, explain=body.explain, conversation=_turns(body.conversation),
        ranking=events.ranking.for_shop(shop_key),
    )
    # Queued for the recorder's thread: the answer never waits for the database.
    ids, combined_id = record_suggest(events, who, shop_key, result)
    intents = []
    for m in result.match.intents:
        item = {"id": m.id, "label": m.label, "score": m.score}
        if body.explain:
            item["evidence"] = [e.as_dict() for e in m.evidence]
        intents.append(item)
    labels = engine.renderer.labels  # built once per content version
    out = {
        "intents": intents,
        "suggestions": [_suggestion(s, sid) for s, sid in zip(result.suggestions, ids, strict=True)],
        "alerts": [a.model_dump() for a in result.alerts],
        "entities": [e.as_dict() for e in result.entities],
        "no_match": not intents,
        "note": None if intents else NO_MATCH_NOTE,
        "variables": result.variables,
        "missing": [{"name": v, "label": labels.get(v, v)} for v in result.missing],
        "combined": result.combined
        and {**_suggestion(result.combined, combined_id), "template_ids": result.combined.template_id.split("+")},
        **_promises(result.promises),
    }
    if result.answering is not None:
        out["answering"] = result.answering
    return out


@router.post("/check", response_model=CheckResponse, response_model_exclude_unset=True, summary="检查回复草稿中的风险承诺与违规")
async def check(body: CheckRequest, engine: AssistantDep, shops: ShopsDep, who: AgentDep, events: EventsDep) -> dict:
    shop = resolve_shop(shops, body.shop_key, body.shop)
    result = engine.check(body.text, shop, _turns(body.conversation))
    record_check(events, who, body.shop_key or shops.default_key, result.flags)
    return {"flags": [f.model_dump() for f in result.flags], **_promises(result.promises)}


@router.post("/conversations/parse", response_model=ParseResponse, summary="把复制的聊天记录拆成买家和客服的对话")
async def parse_conversation(body: ParseRequest, engine: AssistantDep, shops: ShopsDep, _: AgentDep) -> dict:
    shop = resolve_shop(shops, body.shop_key, None)
    turns = parse_chat(body.text, agent_names=body.agent_names, shop_name=shop.name)
    kept, dropped = within_limits(turns)
    # The order number is often in the oldest turns: the context comes from all of them.
    return {"turns": [t.as_dict() for t in kept], "dropped": dropped, "context": engine.conversation_context(turns)}


@router.get("/shops", response_model=ShopsResponse, summary="服务器上配置的店铺")
async def list_shops(shops: ShopsDep, _: AgentDep) -> dict:
    return {
        "shops": [
            {"key": key, "default": key == shops.default_key, "profile": profile.model_dump(exclude_none=True)}
            for key, profile in shops.shops.items()
        ]
    }
