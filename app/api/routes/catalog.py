"""GET /v1/intents and GET /v1/templates: what the engine currently serves."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import EngineDep

router = APIRouter(prefix="/v1", tags=["内容"])


@router.get("/intents", summary="意图列表")
def list_intents(engine: EngineDep) -> dict:
    return {
        "intents": [
            {
                "id": i.id,
                "label": i.label,
                "category": i.category,
                "priority": i.priority,
                "examples": len(i.examples),
                "keywords": i.keywords,
                "templates": [t.id for t in engine.templates_for(i.id)],
            }
            for i in engine.pack.intents.values()
        ]
    }


@router.get("/templates", summary="回复模板列表")
def list_templates(engine: EngineDep, intent: str | None = None) -> dict:
    return {
        "templates": [
            {"id": t.id, "intent": t.intent, "title": t.title, "tags": t.tags, "variables": t.variables, "body": t.body}
            for t in engine.pack.templates.values()
            if intent is None or t.intent == intent
        ]
    }
