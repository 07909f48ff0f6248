"""Editor tools: preview a template draft, try a message against the intents."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.auth import EditorDep
from app.api.deps import AssistantDep
from app.api.errors import problem_responses
from app.api.schemas import MAX_MESSAGE, STRICT, ContextValue
from app.editing.lint import sample_context
from app.editing.validate import validate

router = APIRouter(prefix="/v1", tags=["内容编辑"], responses=problem_responses(401, 403))


class PreviewBody(BaseModel):
    model_config = STRICT

    source: str = Field(min_length=1, max_length=60_000, description="模板文件全文（元数据+正文）")
    context: dict[str, ContextValue] | None = Field(None, description="预览用的变量；不填则用示例值")


class TryBody(BaseModel):
    model_config = STRICT

    message: str = Field(min_length=1, max_length=MAX_MESSAGE)


@router.post("/templates/preview", summary="预览模板草稿：渲染结果、合规提示、问题")
def preview(body: PreviewBody, engine: AssistantDep, _: EditorDep) -> dict:
    ctx = body.context if body.context is not None else sample_context(engine.pack)
    result = validate("template", body.source, engine, ctx)
    return {
        "ok": result.ok and not result.blocking,
        "text": result.preview.text if result.preview else None,
        "missing_vars": result.preview.missing_vars if result.preview else [],
        "problems": result.problems,
        "flags": [f.model_dump() for f in result.flags],
        "context": ctx,
    }


@router.post("/intents/try", summary="试一条消息：匹配到哪些意图、为什么")
def try_message(body: TryBody, engine: AssistantDep, _: EditorDep) -> dict:
    match = engine.matcher.match(body.message, explain=True)
    def item(m):
        return {"id": m.id, "label": m.label, "score": m.score, "evidence": [e.as_dict() for e in m.evidence]}
    return {
        "normalized": match.normalized.text,
        "intents": [item(m) for m in match.intents],
        "best_rejected": item(match.best_rejected) if match.best_rejected else None,
        "threshold": engine.matcher.policy.accept,
    }
