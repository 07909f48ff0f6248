"""What the agent-facing routes hand to the event recorder: suggestion ids, suggest and check events.

Everything here runs on the request's path and only builds small objects and puts
them in the recorder's queue (``app.store.events.EventRecorder``); the database is
written by its background thread.  With recording off (``SHOUHOU_RECORD_EVENTS=false``)
suggestions still get ids, so that clients need not care.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from app.api.auth import Principal
from app.engine.assistant import SuggestResult
from app.guard.guard import Flag
from app.store.events import CheckEvent, EventRecorder, Shown, SuggestEvent, new_suggestion_id


async def get_events(request: Request) -> EventRecorder:
    return request.app.state.events


EventsDep = Annotated[EventRecorder, Depends(get_events)]


def record_suggest(
    events: EventRecorder, who: Principal, shop: str, result: SuggestResult
) -> tuple[list[str], str | None]:
    """Ids for the suggestions (and the combined reply), and the event queued for recording."""
    ids = [new_suggestion_id() for _ in result.suggestions]
    combined_id = new_suggestion_id() if result.combined is not None else None
    if events.enabled:
        shown = [
            Shown(sid, s.template_id, s.intent, rank, s.text)
            for rank, (sid, s) in enumerate(zip(ids, result.suggestions, strict=True), start=1)
        ]
        if result.combined is not None and combined_id is not None:
            c = result.combined
            shown.append(Shown(combined_id, c.template_id, c.intent, 0, c.text, combined=True))
        events.record_suggest(
            SuggestEvent(
                at=datetime.now(UTC),
                shop=shop,
                principal=who.name,
                principal_kind=who.via,
                intents=[(m.id, m.score) for m in result.match.intents],
                alerts=[a.rule for a in result.alerts],
                message=result.text,
                shown=shown,
            )
        )
    return ids, combined_id


def record_check(events: EventRecorder, who: Principal, shop: str, flags: list[Flag]) -> None:
    """Queue a check that flagged something: its rules, and whether a block flag stops the send."""
    if not flags or not events.enabled:
        return
    events.record_check(
        CheckEvent(
            at=datetime.now(UTC),
            shop=shop,
            principal=who.name,
            principal_kind=who.via,
            rules=list(dict.fromkeys(f.rule for f in flags)),
            blocked=any(f.severity == "block" for f in flags),
        )
    )
