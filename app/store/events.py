"""What agents were shown and what they did with it: suggest and check events, feedback, statistics.

``EventStore`` keeps, per answered ``/v1/suggest``, who asked for which shop, the
intents and scores, no-match, the alerts and the buyer's message with phone, order
and tracking numbers masked (``mask_personal``), and every suggestion shown with its
opaque ``suggestion_id``; agents' feedback on those suggestions (copied, inserted,
sent, dismissed: one row per suggestion and action, so a repeated report counts
once); and the ``/v1/check`` calls that flagged something.  It reads back the
figures of ``GET /v1/stats`` and the acceptance counts the ranking learns from.

``EventRecorder`` keeps all of this off the request path: requests put events in
a queue in memory, a background thread writes them in batches (every
``flush_interval`` seconds, or at once when ``batch_size`` are waiting), deletes
events older than the retention period (at start and hourly) and refreshes the
ranking table (``app.ranking``) from the store.  ``close`` writes what is left.

Every ``EventStore`` method is blocking: call them from a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal, get_args

from sqlalchemy import Engine, and_, case, delete, func, insert, literal, select

from app.ranking import RankingTable, TemplateCount
from app.store.db import insert_ignore, reader, transaction
from app.store.errors import NotFound
from app.store.models import (
    CheckEventRow,
    FeedbackRow,
    ShownSuggestionRow,
    SuggestEventRow,
)
from app.text.entities import extract

log = logging.getLogger("shouhou")

Action = Literal["copied", "inserted", "sent", "dismissed"]
ACTIONS: tuple[Action, ...] = get_args(Action)
#: The actions that mean the agent used the suggestion (accepted, or edited when the final text differs).
USE_ACTIONS = ("copied", "inserted", "sent")

MAX_MESSAGE_CHARS = 4000
MAX_REASON = 200
#: Events are deleted in chunks of this many, so that a long retention run never holds the write lock long.
PURGE_CHUNK = 2000

#: The issue time in a suggestion id is seconds modulo this (about 194 days).
_STAMP_WRAP = 2**24

# -- masking --------------------------------------------------------------------------------------

_MASKED_KINDS = {"phone", "order_id", "tracking_no"}
# What the entity extractor leaves: any long run of digits (an order number without its label),
# possibly after a courier's letters; Unicode digits too (full-width ０-９).
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{0,4}\d(?:[\d\- ]?\d){6,}")


def _mask(span: str, kind: str) -> str:
    digits = re.sub(r"\D", "", span)
    if kind == "phone" and len(digits) >= 11:
        return digits[-11:][:3] + "****" + digits[-4:]
    return "****" + digits[-4:] if len(digits) > 4 else "****"


def mask_personal(text: str) -> str:
    """``text`` with phone, order and tracking numbers masked: ``138****5678``, ``订单号 ****6789``.

    The entity extractor finds the labelled and well-formed ones; any run of seven or
    more digits it did not recognise is masked the same way.
    """
    spans = sorted((e.start, e.end, e.kind) for e in extract(text) if e.kind in _MASKED_KINDS)
    out: list[str] = []
    pos = 0
    for start, end, kind in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(_mask(text[start:end], kind))
        pos = end
    out.append(text[pos:])
    return _LONG_NUMBER.sub(lambda m: _mask(m.group(), "number"), "".join(out))


def new_suggestion_id() -> str:
    """An opaque id (16 characters): 9 random bytes, unguessable, and the second it was issued
    (3 bytes), so that feedback knows whether the suggestion may still be in a queue."""
    stamp = (int(time.time()) % _STAMP_WRAP).to_bytes(3, "big")
    return base64.urlsafe_b64encode(secrets.token_bytes(9) + stamp).decode("ascii")


def issued_seconds_ago(suggestion_id: str) -> float | None:
    """How long ago ``new_suggestion_id`` made this id; None for an id it cannot have made."""
    try:
        raw = base64.urlsafe_b64decode(suggestion_id.encode("ascii"))
    except (ValueError, UnicodeEncodeError, binascii.Error):
        return None
    if len(raw) != 12 or len(suggestion_id) != 16:
        return None
    return (int(time.time()) - int.from_bytes(raw[9:], "big")) % _STAMP_WRAP


def text_hash(text: str) -> str:
    """sha256 of ``text`` with its whitespace collapsed: a reply sent with another line break is not an edit."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    """A suggestion as shown: its id, template, intent, rank (0: the combined reply) and text."""

    suggestion_id: str
    template_id: str
    intent: str
    rank: int
    text: str
    combined: bool = False


@dataclass(frozen=True, slots=True)
class SuggestEvent:
    """One suggest answer, as the request saw it; ``message`` is masked when it is written."""

    at: datetime
    shop: str
    principal: str
    principal_kind: str
    intents: list[tuple[str, float]]
    alerts: list[str]
    message: str
    shown: list[Shown]

    @property
    def no_match(self) -> bool:
        return not self.intents


@dataclass(frozen=True, slots=True)
class CheckEvent:
    """A check that flagged something: the rules (each once) and whether one was a block."""

    at: datetime
    shop: str
    principal: str
    principal_kind: str
    rules: list[str]
    blocked: bool


@dataclass
class Outcome:
    """Figures for a group of shown suggestions (a template, an intent, an agent, all)."""

    shown: int = 0
    accepted: int = 0
    edited: int = 0
    dismissed: int = 0

    def add(self, used: bool, edited: bool, dismissed: bool) -> None:
        self.shown += 1
        if used and edited:
            self.edited += 1
        elif used:
            self.accepted += 1
        elif dismissed:
            self.dismissed += 1

    @property
    def acceptance_rate(self) -> float | None:
        """(accepted + edited) / shown; None when nothing was shown."""
        return (self.accepted + self.edited) / self.shown if self.shown else None

    def as_dict(self) -> dict:
        rate = self.acceptance_rate
        return {
            "shown": self.shown,
            "accepted": self.accepted,
            "edited": self.edited,
            "dismissed": self.dismissed,
            "acceptance_rate": None if rate is None else round(rate, 4),
        }


#: The problem class of an intent the content no longer has.
UNCATEGORIZED = "未分类"


@dataclass
class Period:
    """One day's (week's, month's) messages: how many, how many unmatched, per problem class."""

    messages: int = 0
    no_match: int = 0
    categories: Counter[str] = field(default_factory=Counter)


@dataclass
class Stats:
    """The raw figures of a period; ``app.api.routes.feedback`` adds the intents' labels and categories.

    A message with two intents counts once in ``messages`` and once for each intent.
    """

    messages: int = 0
    no_match: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    #: Messages per problem class and per priority (a message once per class, once per priority).
    categories: Counter[str] = field(default_factory=Counter)
    priorities: Counter[str] = field(default_factory=Counter)
    #: ``{day (in the time zone asked for): Period}``
    days: dict[date, Period] = field(default_factory=dict)
    alerts: Counter[str] = field(default_factory=Counter)
    suggestions: Outcome = field(default_factory=Outcome)
    by_template: dict[str, Outcome] = field(default_factory=dict)
    #: By the intent of the suggestion shown (combined replies left out).
    by_intent: dict[str, Outcome] = field(default_factory=dict)
    #: ``{(principal, kind): Outcome}``; ``agent_messages`` the messages each asked about.
    by_agent: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    agent_messages: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: The template each suggestion id of ``by_template`` belongs to: ``{template_id: intent}``.
    template_intents: dict[str, str] = field(default_factory=dict)
    dismiss_reasons: Counter[str] = field(default_factory=Counter)
    checks: int = 0
    blocked: int = 0
    flags: Counter[str] = field(default_factory=Counter)


def _now() -> datetime:
    return datetime.now(UTC)


class EventStore:
    """Events and feedback in the database behind ``engine`` (tables from ``db.create_tables``)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now):
        self._engine = engine
        self._reader = reader(engine)
        self.clock = clock

    # -- writing -----------------------------------------------------------------------------

    def add(self, suggests: Sequence[SuggestEvent] = (), checks: Sequence[CheckEvent] = ()) -> None:
        """Write events in one transaction (messages masked here)."""
        if not suggests and not checks:
            return
        rows = []
        for ev in suggests:
            masked = mask_personal(ev.message[:MAX_MESSAGE_CHARS])
            rows.append(
                {
                    "at": ev.at,
                    "shop": ev.shop[:64],
                    "principal": ev.principal[:120],
                    "principal_kind": ev.principal_kind[:10],
                    "intents": [{"id": i, "score": round(float(sc), 4)} for i, sc in ev.intents],
                    "no_match": ev.no_match,
                    "alerts": list(dict.fromkeys(ev.alerts)),
                    "message": masked,
                    "message_hash": text_hash(masked),
                }
            )
        with transaction(self._engine) as s:
            if rows:
                # One multi-row INSERT … RETURNING on both databases, the ids in the order of the rows.
                ids = s.scalars(
                    insert(SuggestEventRow).returning(SuggestEventRow.id, sort_by_parameter_order=True), rows
                ).all()
                shown = [
                    {
                        "suggestion_id": sh.suggestion_id,
                        "event_id": event_id,
                        "template_id": sh.template_id,
                        "intent": sh.intent,
                        "rank": sh.rank,
                        "combined": sh.combined,
                        "text_hash": text_hash(sh.text),
                    }
                    for ev, event_id in zip(suggests, ids, strict=True)
                    for sh in ev.shown
                ]
                if shown:
                    s.execute(insert(ShownSuggestionRow), shown)
            if checks:
                s.execute(
                    insert(CheckEventRow),
                    [
                        {
                            "at": ev.at,
                            "shop": ev.shop[:64],
                            "principal": ev.principal[:120],
                            "principal_kind": ev.principal_kind[:10],
                            "rules": list(dict.fromkeys(ev.rules)),
                            "blocked": ev.blocked,
                        }
                        for ev in checks
                    ],
                )

    def feedback(
        self,
        suggestion_id: str,
        action: Action,
        final_text: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Record what the agent did with a suggestion; False if this action was already reported.

        ``NotFound`` for an id never shown (or deleted with its event).  A use
        (copied, inserted, sent) whose ``final_text`` differs from the text shown is
        an edit; ``final_text`` is stored masked.
        """
        if action not in ACTIONS:
            raise ValueError(f"未知的操作：{action!r}")
        with transaction(self._engine) as s:
            shown_hash = s.scalar(
                select(ShownSuggestionRow.text_hash).where(ShownSuggestionRow.suggestion_id == suggestion_id)
            )
            if shown_hash is None:
                raise NotFound("suggestion", suggestion_id)
            edited = action in USE_ACTIONS and final_text is not None and text_hash(final_text) != shown_hash
            values = {
                "suggestion_id": suggestion_id,
                "action": action,
                "final_text": None if final_text is None else mask_personal(final_text[:MAX_MESSAGE_CHARS]),
                "edited": edited,
                "reason": None if reason is None else reason.strip()[:MAX_REASON] or None,
                "at": self.clock(),
            }
            return insert_ignore(s, FeedbackRow.__table__, values)

    def retract(self, suggestion_id: str, action: Action) -> bool:
        """Take back a reported action (an agent's 撤销 after 不合适); False if it was not reported."""
        with transaction(self._engine) as s:
            gone = s.execute(
                delete(FeedbackRow).where(FeedbackRow.suggestion_id == suggestion_id, FeedbackRow.action == action)
            )
            return bool(gone.rowcount)

    def delete_older_than(self, cutoff: datetime) -> int:
        """Delete events (with their suggestions and feedback) from before ``cutoff``; how many events."""
        deleted = 0
        for table in (SuggestEventRow, CheckEventRow):
            while True:
                with transaction(self._engine) as s:
                    ids = list(s.scalars(select(table.id).where(table.at < cutoff).limit(PURGE_CHUNK)))
                    if not ids:
                        break
                    if table is SuggestEventRow:
                        # Explicitly, not only by ON DELETE CASCADE: an SQLite connection without
                        # foreign keys turned on would leave them behind.
                        shown = select(ShownSuggestionRow.suggestion_id).where(ShownSuggestionRow.event_id.in_(ids))
                        s.execute(delete(FeedbackRow).where(FeedbackRow.suggestion_id.in_(shown)))
                        s.execute(delete(ShownSuggestionRow).where(ShownSuggestionRow.event_id.in_(ids)))
                    s.execute(delete(table).where(table.id.in_(ids)))
                    deleted += len(ids)
        return deleted

    # -- reading -----------------------------------------------------------------------------

    def has_suggestion(self, suggestion_id: str) -> bool:
        with transaction(self._reader) as s:
            return s.scalar(
                select(literal(1)).where(ShownSuggestionRow.suggestion_id == suggestion_id)
            ) is not None

    def feedback_for(self, suggestion_id: str) -> list[dict]:
        """The feedback rows of one suggestion, oldest first (tests, the inbox)."""
        with transaction(self._reader) as s:
            rows = s.scalars(
                select(FeedbackRow).where(FeedbackRow.suggestion_id == suggestion_id).order_by(FeedbackRow.id)
            )
            return [
                {"action": r.action, "final_text": r.final_text, "edited": r.edited, "reason": r.reason, "at": r.at}
                for r in rows
            ]

    def acceptance_counts(self, since: datetime | None = None) -> list[TemplateCount]:
        """Per shop and template: how often it was shown and how often used (combined replies left out)."""
        per = _outcomes().where(ShownSuggestionRow.combined.is_(False))
        if since is not None:
            per = per.where(SuggestEventRow.at >= since)
        sub = per.subquery()
        query = select(
            sub.c.shop, sub.c.intent, sub.c.template_id, func.count(), func.sum(sub.c.used)
        ).group_by(sub.c.shop, sub.c.intent, sub.c.template_id)
        with transaction(self._reader) as s:
            return [
                TemplateCount(shop, intent, template_id, int(shown), int(used or 0))
                for shop, intent, template_id, shown, used in s.execute(query)
            ]

    def stats(
        self,
        start: datetime,
        end: datetime,
        shop: str | None = None,
        tz: tzinfo = UTC,
        categories: Mapping[str, str] | None = None,
        priorities: Mapping[str, str] | None = None,
    ) -> Stats:
        """The figures of events from ``start`` (inclusive) to ``end`` (exclusive), for one shop or all.

        ``categories``/``priorities`` map intent ids to their problem class and priority
        (the content's); days are counted in ``tz``.
        """
        out = Stats()
        categories = categories or {}
        priorities = priorities or {}

        def where(table):
            cond = [table.at >= start, table.at < end]
            if shop is not None:
                cond.append(table.shop == shop)
            return and_(*cond)

        events = select(
            SuggestEventRow.at, SuggestEventRow.intents, SuggestEventRow.no_match, SuggestEventRow.alerts,
            SuggestEventRow.principal, SuggestEventRow.principal_kind,
        ).where(where(SuggestEventRow))
        per = _outcomes().where(where(SuggestEventRow))
        reasons = (
            select(FeedbackRow.reason, func.count())
            .join(ShownSuggestionRow, ShownSuggestionRow.suggestion_id == FeedbackRow.suggestion_id)
            .join(SuggestEventRow, SuggestEventRow.id == ShownSuggestionRow.event_id)
            .where(where(SuggestEventRow), FeedbackRow.action == "dismissed", FeedbackRow.reason.is_not(None))
            .group_by(FeedbackRow.reason)
        )
        checks = select(CheckEventRow.rules, CheckEventRow.blocked).where(where(CheckEventRow))
        with transaction(self._reader) as s:
            for at, intents, no_match, alerts, principal, kind in s.execute(events):
                ids = {i["id"] for i in intents or []}
                classes = {categories.get(i, UNCATEGORIZED) for i in ids}
                out.messages += 1
                out.no_match += bool(no_match)
                out.intents.update(ids)
                out.categories.update(classes)
                out.priorities.update({priorities[i] for i in ids if i in priorities})
                out.alerts.update(set(alerts or []))
                out.agent_messages[(principal, kind)] += 1
                day = out.days.setdefault(at.astimezone(tz).date(), Period())
                day.messages += 1
                day.no_match += bool(no_match)
                day.categories.update(classes)
            for _shop, intent, template_id, used, edited, dismissed, principal, kind, combined in s.execute(per):
                flags = (bool(used), bool(edited), bool(dismissed))
                out.suggestions.add(*flags)
                out.by_template.setdefault(template_id, Outcome()).add(*flags)
                out.template_intents.setdefault(template_id, intent)
                if not combined:  # a combined reply answers several intents: it counts for none of them
                    out.by_intent.setdefault(intent, Outcome()).add(*flags)
                out.by_agent.setdefault((principal, kind), Outcome()).add(*flags)
            out.dismiss_reasons.update({reason: int(n) for reason, n in s.execute(reasons)})
            for rules, blocked in s.execute(checks):
                out.checks += 1
                out.blocked += bool(blocked)
                out.flags.update(set(rules or []))
        return out


def _outcomes():
    """One row per shown suggestion: its shop, intent, template, and whether it was used, edited, dismissed."""
    used = func.max(case((FeedbackRow.action.in_(USE_ACTIONS), 1), else_=0))
    edited = func.max(case((and_(FeedbackRow.action.in_(USE_ACTIONS), FeedbackRow.edited.is_(True)), 1), else_=0))
    dismissed = func.max(case((FeedbackRow.action == "dismissed", 1), else_=0))
    return (
        select(
            SuggestEventRow.shop.label("shop"),
            ShownSuggestionRow.intent.label("intent"),
            ShownSuggestionRow.template_id.label("template_id"),
            used.label("used"),
            edited.label("edited"),
            dismissed.label("dismissed"),
            SuggestEventRow.principal.label("principal"),
            SuggestEventRow.principal_kind.label("principal_kind"),
            ShownSuggestionRow.combined.label("combined"),
        )
        .join(SuggestEventRow, SuggestEventRow.id == ShownSuggestionRow.event_id)
        .outerjoin(FeedbackRow, FeedbackRow.suggestion_id == ShownSuggestionRow.suggestion_id)
        .group_by(
            ShownSuggestionRow.suggestion_id, SuggestEventRow.shop, ShownSuggestionRow.intent,
            ShownSuggestionRow.template_id, SuggestEventRow.principal, SuggestEventRow.principal_kind,
            ShownSuggestionRow.combined,
        )
    )


# -- off the request path -------------------------------------------------------------------------


class EventRecorder:
    """Queues events in memory and writes them from a background thread; refreshes the ranking.

    ``record_suggest``/``record_check`` only append to a list (a few microseconds): the
    request never waits for the database.  With ``enabled=False`` nothing is recorded
    and feedback is accepted and dropped (``feedback`` returns False), but old events
    are still deleted and the ranking still comes from what was recorded before.

    A flagged draft that the workbench checks again and again as the agent types is
    one event: a check with the same flagged rules as the previous one of the same
    agent and shop within ``CHECK_REPEAT_SECONDS`` is not recorded again.
    """

    CHECK_REPEAT_SECONDS = 120.0
    #: Feedback requests at once that wait for another process's queue (see ``feedback``).
    RETRYING = 4

    def __init__(
        self,
        store: EventStore,
        *,
        enabled: bool = True,
        retention_days: int = 90,
        flush_interval: float = 0.5,
        batch_size: int = 200,
        max_pending: int = 20_000,
        ranking_interval: float = 30.0,
        purge_interval: float = 3600.0,
    ):
        self.store = store
        self.enabled = enabled
        self.retention_days = retention_days
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.ranking_interval = ranking_interval
        self.purge_interval = purge_interval
        #: The current ranking snapshot; replaced whole by ``refresh_ranking``.
        self.ranking = RankingTable()
        self.dropped = 0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._suggests: list[SuggestEvent] = []
        self._checks: list[CheckEvent] = []
        self._pending_ids: set[str] = set()
        self._last_check: dict[tuple[str, str], tuple[frozenset[str], float]] = {}
        self._retrying = threading.BoundedSemaphore(self.RETRYING)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the request side ----------------------------------------------------------------------

    def record_suggest(self, event: SuggestEvent) -> None:
        if not self.enabled:
            return
        with self._lock:
            if len(self._suggests) + len(self._checks) >= self.max_pending:
                self.dropped += 1
                return
            self._suggests.append(event)
            self._pending_ids.update(s.suggestion_id for s in event.shown)
            full = len(self._suggests) >= self.batch_size
        if full:
            self._wake.set()

    def record_check(self, event: CheckEvent) -> None:
        if not self.enabled or not event.rules:
            return
        key = (event.principal, event.shop)
        rules = frozenset(event.rules)
        now = time.monotonic()
        with self._lock:
            last = self._last_check.get(key)
            if last is not None and last[0] == rules and now - last[1] < self.CHECK_REPEAT_SECONDS:
                self._last_check[key] = (rules, now)
                return
            if len(self._last_check) > 10_000:
                self._last_check.clear()
            self._last_check[key] = (rules, now)
            if len(self._suggests) + len(self._checks) >= self.max_pending:
                self.dropped += 1
                return
            self._checks.append(event)

    def pending(self) -> int:
        with self._lock:
            return len(self._suggests) + len(self._checks)

    def _flush_if_queued(self, suggestion_id: str) -> bool:
        """Write the queue now if it holds the event that showed ``suggestion_id``; whether it did."""
        with self._lock:
            queued = suggestion_id in self._pending_ids
        if queued:
            self.flush()
        return queued

    def retract(self, suggestion_id: str, action: Action) -> bool:
        """``EventStore.retract``, after writing the suggestion's event if it is still queued."""
        if not self.enabled:
            return False
        self._flush_if_queued(suggestion_id)
        return self.store.retract(suggestion_id, action)

    def feedback(
        self, suggestion_id: str, action: Action, final_text: str | None = None, reason: str | None = None
    ) -> bool:
        """``EventStore.feedback``, after writing the suggestion's event if it is still queued (blocking).

        With several processes (``--workers``, replicas) the suggestion may have been shown by
        another one whose queue is not written yet: an id not found that was issued in the
        last ``2 × flush_interval`` seconds is looked for again until that process has surely
        written its batch, by at most ``RETRYING`` requests at a time (a flood of made-up ids
        cannot tie the threads up).
        """
        if not self.enabled:
            return False
        queued = self._flush_if_queued(suggestion_id)
        try:
            return self.store.feedback(suggestion_id, action, final_text, reason)
        except NotFound:
            age = issued_seconds_ago(suggestion_id)
            window = 2 * self.flush_interval + 1.0  # the id's clock has whole seconds
            if queued or age is None or age > window or not self._retrying.acquire(blocking=False):
                raise
        try:
            deadline = time.monotonic() + window - age
            while True:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
                try:
                    return self.store.feedback(suggestion_id, action, final_text, reason)
                except NotFound:
                    if time.monotonic() >= deadline:
                        raise
        finally:
            self._retrying.release()

    # -- the background side -------------------------------------------------------------------

    def flush(self) -> int:
        """Write every queued event now; how many were written (blocking)."""
        with self._flush_lock:
            with self._lock:
                suggests, self._suggests = self._suggests, []
                checks, self._checks = self._checks, []
            if not suggests and not checks:
                return 0
            try:
                self.store.add(suggests, checks)
            except Exception as e:  # the events are lost, the service goes on
                # The error's type only: a database error's text quotes the statement's parameters (messages).
                log.warning("recording %d events failed: %s", len(suggests) + len(checks), type(e).__name__)
                return 0
            finally:
                with self._lock:
                    for ev in suggests:
                        self._pending_ids.difference_update(s.suggestion_id for s in ev.shown)
            return len(suggests) + len(checks)

    def purge(self) -> int:
        """Delete events older than the retention period; how many."""
        cutoff = self.store.clock() - timedelta(days=self.retention_days)
        return self.store.delete_older_than(cutoff)

    def refresh_ranking(self) -> RankingTable:
        """Rebuild the ranking snapshot from the store (what the thread does every ``ranking_interval``)."""
        cutoff = self.store.clock() - timedelta(days=self.retention_days)
        self.ranking = RankingTable.from_counts(self.store.acceptance_counts(since=cutoff))
        return self.ranking

    def start(self) -> EventRecorder:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="shouhou-events", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and write what is still queued (the server is shutting down)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        next_purge = next_ranking = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            self._step("purging old events", now >= next_purge, self.purge)
            if now >= next_purge:
                next_purge = now + self.purge_interval
            self._step("refreshing the ranking", now >= next_ranking, self.refresh_ranking)
            if now >= next_ranking:
                next_ranking = now + self.ranking_interval
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            self._step("recording events", True, self.flush)

    @staticmethod
    def _step(what: str, due: bool, fn: Callable[[], object]) -> None:
        if not due:
            return
        try:
            fn()
        except Exception:  # a busy or unreachable store: try again at the next step
            log.warning("%s failed", what, exc_info=True)
