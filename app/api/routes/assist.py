"""POST /v1/suggest and POST /v1/check: the agent-facing operations."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.auth import AgentDep
from app.api.deps import EngineDep, ShopsDep, resolve_shop
from app.api.errors import problem_responses
from app.api.schemas import CheckRequest, CheckResponse, SuggestRequest, SuggestResponse

# 401 without a key where agent_access asks for one; 403 for a session cookie without its CSRF token.
router = APIRouter(prefix="/v1", tags=["客服"], responses=problem_responses(401, 403))

# The handlers are async: the engine is CPU work of a few milliseconds that touches no
# database, and a thread hand-off would cost about as much as the work itself.
NO_MATCH_NOTE = "没有把握匹配到售后问题，建议人工回复。"


@router.post("/suggest", response_model=SuggestResponse, response_model_exclude_unset=True, summary="买家消息 → 意图与建议回复")
async def suggest(body: SuggestRequest, engine: EngineDep, shops: ShopsDep, _: AgentDep) -> dict:
    shop = resolve_shop(shops, body.shop_key, body.shop)
    result = engine.suggest(body.message, body.context, shop, body.top_k, explain=body.explain)
    intents = []
    for m in result.match.intents:
        item = {"id": m.id, "label": m.label, "score": m.score}
        if body.explain:
            item["evidence"] = [e.as_dict() for e in m.evidence]
        intents.append(item)
    return {
        "intents": intents,
        "suggestions": [
            {
                "template_id": s.template_id,
                "intent": s.intent,
                "title": s.title,
                "text": s.text,
                "missing_vars": s.missing_vars,
                "flags": [f.model_dump() for f in s.flags],
            }
            for s in result.suggestions
        ],
        "alerts": [a.model_dump() for a in result.alerts],
        "entities": [e.as_dict() for e in result.entities],
        "no_match": not intents,
        "note": None if intents else NO_MATCH_NOTE,
    }


@router.post("/check", response_model=CheckResponse, summary="检查回复草稿中的风险承诺与违规")
async def check(body: CheckRequest, engine: EngineDep, shops: ShopsDep, _: AgentDep) -> dict:
    shop = resolve_shop(shops, body.shop_key, body.shop)
    return {"flags": [f.model_dump() for f in engine.check(body.text, shop)]}
