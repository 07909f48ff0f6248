"""The recorded messages the editors' inbox starts from: the ones the engine did not handle well.

``InboxReader.messages`` reads, for a period (and a shop), the newest suggest events
that had no confident match, whose best intent scored below a threshold (low
confidence), or one of whose suggestions an agent dismissed (with the reasons given).
The texts are the masked ones the event store keeps.  The work is bounded: at most
``scan`` events of the period are looked at, newest first, and at most ``limit``
messages returned.  Grouping them and asking the engine about them is
``app.editing.inbox``'s job (the store does not know the engine).

Blocking: call it from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Engine, and_, select

from app.store.db import reader, transaction
from app.store.models import FeedbackRow, ShownSuggestionRow, SuggestEventRow

InboxKind = Literal["no_match", "low_confidence", "dismissed"]
INBOX_KINDS: tuple[InboxKind, ...] = get_args(InboxKind)

#: A match whose best score is below this is "low confidence".
LOW_CONFIDENCE = 0.8
#: The most messages one listing returns, and the most events it looks at.
LIMIT = 2000
SCAN = 20_000
#: Ids per ``IN (…)`` query.
_CHUNK = 500


@dataclass
class InboxMessage:
    """One recorded message the engine did not handle well."""

    event_id: int
    at: datetime
    shop: str
    message: str
    message_hash: str
    #: ``[(intent, score)]`` as the engine answered then, best first; empty for no match.
    intents: list[tuple[str, float]]
    kinds: set[str] = field(default_factory=set)
    #: The reasons agents gave when they dismissed its suggestions (None: no reason given).
    dismissed: list[str | None] = field(default_factory=list)


class InboxReader:
    """Reads inbox messages from the event tables behind ``engine``."""

    def __init__(self, engine: Engine):
        self._reader = reader(engine)

    def messages(
        self,
        start: datetime,
        end: datetime,
        *,
        shop: str | None = None,
        kinds: tuple[str, ...] = INBOX_KINDS,
        low_confidence: float = LOW_CONFIDENCE,
        limit: int = LIMIT,
        scan: int = SCAN,
    ) -> list[InboxMessage]:
        """Messages from ``start`` (inclusive) to ``end`` (exclusive), newest first, of the ``kinds`` asked for."""
        cond = [SuggestEventRow.at >= start, SuggestEventRow.at < end]
        if shop is not None:
            cond.append(SuggestEventRow.shop == shop)
        where = and_(*cond)
        found: dict[int, tuple[datetime, list[tuple[str, float]], set[str]]] = {}
        dismissed: dict[int, list[str | None]] = {}
        with transaction(self._reader) as s:
            if "dismissed" in kinds:
                rows = s.execute(
                    select(SuggestEventRow.id, SuggestEventRow.at, SuggestEventRow.intents, FeedbackRow.reason)
                    .join(ShownSuggestionRow, ShownSuggestionRow.event_id == SuggestEventRow.id)
                    .join(FeedbackRow, FeedbackRow.suggestion_id == ShownSuggestionRow.suggestion_id)
                    .where(where, FeedbackRow.action == "dismissed")
                    .order_by(SuggestEventRow.at.desc(), SuggestEventRow.id.desc())
                    .limit(limit * 3)
                )
                for event_id, at, intents, reason in rows:
                    dismissed.setdefault(event_id, []).append(reason)
                    found.setdefault(event_id, (at, _intents(intents), set()))[2].add("dismissed")
            if "no_match" in kinds or "low_confidence" in kinds:
                rows = s.execute(
                    select(SuggestEventRow.id, SuggestEventRow.at, SuggestEventRow.intents, SuggestEventRow.no_match)
                    .where(where)
                    .order_by(SuggestEventRow.at.desc(), SuggestEventRow.id.desc())
                    .limit(scan)
                )
                for event_id, at, raw, no_match in rows:
                    intents = _intents(raw)
                    if no_match or not intents:
                        kind = "no_match"
                    elif intents[0][1] < low_confidence:
                        kind = "low_confidence"
                    else:
                        continue
                    if kind in kinds:
                        found.setdefault(event_id, (at, intents, set()))[2].add(kind)
            newest = sorted(found, key=lambda i: (found[i][0], i), reverse=True)[:limit]
            texts: dict[int, tuple[str, str, str]] = {}
            for i in range(0, len(newest), _CHUNK):
                chunk = newest[i : i + _CHUNK]
                for event_id, shop_key, message, digest in s.execute(
                    select(
                        SuggestEventRow.id, SuggestEventRow.shop, SuggestEventRow.message, SuggestEventRow.message_hash
                    ).where(SuggestEventRow.id.in_(chunk))
                ):
                    texts[event_id] = (shop_key, message, digest)
        out = []
        for event_id in newest:
            if event_id not in texts:
                continue  # deleted (retention) between the two reads
            at, intents, event_kinds = found[event_id]
            shop_key, message, digest = texts[event_id]
            out.append(
                InboxMessage(event_id, at, shop_key, message, digest, intents, event_kinds, dismissed.get(event_id, []))
            )
        return out


def _intents(raw) -> list[tuple[str, float]]:
    out = []
    for item in raw or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out.append((item["id"], float(item.get("score") or 0.0)))
    return sorted(out, key=lambda p: -p[1])
