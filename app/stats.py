"""The supervisors' statistics: what ``GET /v1/stats``, the ``/stats`` page, its CSV and
the monthly report show, computed once here from the event store's figures and the
content's intents (their labels, problem classes and priorities).

Days are Beijing time (UTC+8), the shops' own.  ``figures`` is blocking (it reads the
store): call it from a worker thread.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone

from app.content.files import ContentPack
from app.store.events import UNCATEGORIZED, EventStore, Outcome, Period, Stats

#: The shops' time zone: a "day" of the statistics is a day in China.
STATS_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
#: The longest period one request may ask for.
MAX_DAYS = 366
#: Without ``from``: the last 30 days.
DEFAULT_DAYS = 30
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(ValueError):
    """A period that cannot be counted: ``field`` (from / to) and what is wrong, in Chinese."""

    def __init__(self, field: str, detail: str, message: str):
        super().__init__(detail)
        self.field, self.detail, self.message = field, detail, message


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(field, f"{field}：日期应写成 YYYY-MM-DD，如 2026-11-01", "日期应写成 YYYY-MM-DD") from None


def period(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """The days asked for (both included); the last 30 days by default.  ``PeriodError`` naming the field."""
    today = today or datetime.now(STATS_TZ).date()
    last = _date(end, "to") or today
    first = _date(start, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise PeriodError("from", "from：起始日期晚于结束日期", "不能晚于 to")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("from", f"from：一次最多统计 {MAX_DAYS} 天", f"与 to 相隔不能超过 {MAX_DAYS} 天")
    return first, last


def _outcome(o: Outcome) -> dict:
    return o.as_dict()


def _categories(counts: Counter[str], priority_of: dict[str, str | None]) -> list[dict]:
    rows = [{"category": c, "priority": priority_of.get(c), "count": n} for c, n in counts.items()]
    return sorted(rows, key=lambda r: (PRIORITY_ORDER.get(r["priority"] or "", 3), -r["count"], r["category"]))


def stats_body(raw: Stats, pack, first: date, last: date, shop: str | None) -> dict:
    """The JSON of ``GET /v1/stats`` from the store's figures and the content's intents."""
    intents = pack.intents
    category_priority: dict[str, str | None] = {}
    for spec in intents.values():
        best = category_priority.get(spec.category)
        if best is None or PRIORITY_ORDER[spec.priority] < PRIORITY_ORDER[best]:
            category_priority[spec.category] = spec.priority

    by_intent = []
    for iid, n in raw.intents.most_common():
        spec = intents.get(iid)
        by_intent.append(
            {
                "id": iid,
                "label": spec.label if spec else iid,
                "category": spec.category if spec else UNCATEGORIZED,
                "priority": spec.priority if spec else None,
                "count": n,
                **_outcome(raw.by_intent.get(iid, Outcome())),
            }
        )

    def period_row(p: Period) -> dict:
        return {
            "messages": p.messages,
            "no_match": p.no_match,
            "by_category": _categories(p.categories, category_priority),
        }

    days = []
    weeks: dict[date, Period] = {}
    months: dict[str, Period] = {}
    d = first
    while d <= last:
        p = raw.days.get(d, Period())
        days.append({"date": d.isoformat(), **period_row(p)})
        for bucket, key in ((weeks, d - timedelta(days=d.weekday())), (months, d.strftime("%Y-%m"))):
            agg = bucket.setdefault(key, Period())
            agg.messages += p.messages
            agg.no_match += p.no_match
            agg.categories.update(p.categories)
        d += timedelta(days=1)

    by_template = [
        {"template_id": tid, "intent": raw.template_intents.get(tid, ""), "combined": "+" in tid, **_outcome(o)}
        for tid, o in sorted(raw.by_template.items(), key=lambda kv: (-kv[1].shown, kv[0]))
    ]
    agents = set(raw.by_agent) | set(raw.agent_messages)
    by_agent = sorted(
        (
            {"agent": name, "kind": kind, "messages": raw.agent_messages.get((name, kind), 0),
             **_outcome(raw.by_agent.get((name, kind), Outcome()))}
            for name, kind in agents
        ),
        key=lambda r: (-r["messages"], -r["shown"], r["agent"]),
    )
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "shop": shop,
        "timezone": "Asia/Shanghai (UTC+8)",
        "messages": raw.messages,
        "no_match": raw.no_match,
        "no_match_rate": round(raw.no_match / raw.messages, 4) if raw.messages else None,
        "by_intent": by_intent,
        "by_category": _categories(raw.categories, category_priority),
        "by_priority": sorted(
            ({"priority": p, "count": n} for p, n in raw.priorities.items()), key=lambda r: PRIORITY_ORDER.get(r["priority"], 3)
        ),
        "suggestions": _outcome(raw.suggestions),
        "by_template": by_template,
        "by_agent": by_agent,
        "dismiss_reasons": [{"reason": r, "count": n} for r, n in raw.dismiss_reasons.most_common()],
        "flags": [{"rule": r, "count": n} for r, n in sorted(raw.flags.items(), key=lambda kv: (-kv[1], kv[0]))],
        "alerts": [{"rule": r, "count": n} for r, n in sorted(raw.alerts.items(), key=lambda kv: (-kv[1], kv[0]))],
        "checks": {"flagged": raw.checks, "blocked": raw.blocked},
        "by_day": days,
        "by_week": [{"week": k.isoformat(), **period_row(p)} for k, p in weeks.items()],
        "by_month": [{"month": k, **period_row(p)} for k, p in months.items()],
    }


def utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The days ``first``..``last`` (Beijing time, both included) as a half-open UTC interval."""
    start = datetime.combine(first, time(0), STATS_TZ).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), STATS_TZ).astimezone(UTC)
    return start, end


def figures(store: EventStore, pack: ContentPack, first: date, last: date, shop: str | None) -> dict:
    """Every figure of the days ``first``..``last`` (Beijing time), for one shop or all."""
    start, end = utc_bounds(first, last)
    intents = pack.intents
    raw = store.stats(
        start, end, shop, tz=STATS_TZ,
        categories={i: spec.category for i, spec in intents.items()},
        priorities={i: spec.priority for i, spec in intents.items()},
    )
    return stats_body(raw, pack, first, last, shop)
