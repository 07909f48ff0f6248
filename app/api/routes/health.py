"""GET /healthz: is the service up, and which content revision is it serving."""

from __future__ import annotations

from fastapi import APIRouter

from app import __version__
from app.api.deps import AssistantDep

router = APIRouter(tags=["运维"])


@router.get("/healthz", summary="健康检查")
def healthz(engine: AssistantDep) -> dict:
    return {
        "status": "ok",
        "version": __version__,
        "content_revision": engine.revision,
        "intents": len(engine.pack.intents),
        "templates": len(engine.pack.templates),
        "rules": len(engine.rules),
    }
