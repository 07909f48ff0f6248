"""Regenerate docs/screenshots/stats.png: the supervisors' /stats page over a month of made-up events.

The events (November 2026, two shops, three agents and an IM bot) are written straight into a fresh
SQLite database with ``EventStore``, so the page shows a realistic month without anyone typing; the
server is then started on a free port and the page photographed in headless Chromium.

    .venv/bin/python scripts/screenshots_stats.py
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shots import OUT, ROOT, chromium, server, sign_in

from app.store import open_engine
from app.store.db import create_tables
from app.store.events import CheckEvent, EventStore, Shown, SuggestEvent, new_suggestion_id

SHOPS = (
    "default: flagship\nshops:\n"
    "  flagship: {name: 某某鞋业旗舰店, carriers: [申通], ship_within_hours: 72, seven_day_return: true}\n"
    "  outdoor: {name: 山野户外专营店, carriers: [顺丰, 韵达], ship_within_hours: 48}\n"
)
#: How often buyers ask about each intent in the made-up month (relative weights).
WEIGHTS = {
    "logistics_delay": 14, "quality_defect": 11, "not_received": 7, "color_difference": 9, "return_refund": 10,
    "exchange_request": 8, "missing_item": 5, "wrong_item": 3, "damaged_in_transit": 4, "usage_guide": 6,
    "bad_review_threat": 3, "complaint_escalation": 2, "invoice": 4, "urge_shipment": 8, "refund_progress": 5,
    "greeting": 3, "warranty_repair": 2, "not_as_described": 3,
}
AGENTS = (("xiaomei", "session"), ("ajie", "session"), ("tingting", "session"), ("key:im-bot", "key"))
REASONS = ("不相关", "语气不对", "信息不全", "太长了", None)
FLAGS = (["carrier_commitment"], ["delivery_guarantee"], ["off_platform"], ["compensation_promise"],
         ["carrier_commitment", "delivery_guarantee"], ["review_inducement"])


def templates_of(intent: str) -> list[str]:
    return sorted(f"{intent}/{p.stem}" for p in (ROOT / "templates" / "replies" / intent).glob("*.j2"))


def seed(url: str) -> None:
    """A month of suggest and check events, with feedback, in the database at ``url``."""
    rng = random.Random(11)
    engine = open_engine(url)
    create_tables(engine)
    store = EventStore(engine)
    intents, weights = zip(*WEIGHTS.items(), strict=True)
    suggests, checks, feedback = [], [], []
    start = datetime(2026, 10, 31, 16, tzinfo=UTC)  # 1 November, 00:00 in Beijing
    for day in range(30):
        busy = 26 + (12 if (day + 6) % 7 >= 5 else 0) + rng.randint(-5, 6) + (25 if day == 10 else 0)  # 双11
        for _ in range(busy):
            at = start + timedelta(days=day, hours=rng.uniform(1, 15))
            who, kind = rng.choice(AGENTS)
            shop = "flagship" if rng.random() < 0.7 else "outdoor"
            if rng.random() < 0.08:
                suggests.append(SuggestEvent(at, shop, who, kind, [], [], "（示例消息）", []))
                continue
            asked = [rng.choices(intents, weights)[0]]
            if rng.random() < 0.12:
                asked.append(rng.choices(intents, weights)[0])
            asked = list(dict.fromkeys(asked))
            shown = []
            for intent in asked:
                for rank, tid in enumerate(templates_of(intent)[:3], start=1):
                    shown.append(Shown(new_suggestion_id(), tid, intent, rank, f"亲，这是{tid}的回复"))
            suggests.append(SuggestEvent(at, shop, who, kind, [(i, 0.8) for i in asked], [], "（示例消息）", shown))
            if shown:
                pick = shown[0] if rng.random() < 0.6 else rng.choice(shown)
                roll = rng.random()
                if roll < 0.5:
                    feedback.append((pick.suggestion_id, "sent", pick.text, None))
                elif roll < 0.68:
                    feedback.append((pick.suggestion_id, "sent", pick.text + "有问题随时找我哦", None))
                elif roll < 0.82:
                    feedback.append((pick.suggestion_id, "dismissed", None, rng.choice(REASONS)))
            if rng.random() < 0.1:
                checks.append(CheckEvent(at, shop, who, kind, rng.choice(FLAGS), rng.random() < 0.55))
    store.add(suggests, checks)
    for sid, action, text, reason in feedback:
        store.feedback(sid, action, text, reason)
    engine.dispose()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    with server(tmp, SHOPS, [("zhuguan", "supervisor-password-1", "editor")], seed=seed) as base:
        with chromium() as b:
            pg = b.new_context(base_url=base, viewport={"width": 1280, "height": 1000}, locale="zh-CN").new_page()
            sign_in(pg, "zhuguan", "supervisor-password-1", "/stats")
            pg.goto("/stats?from=2026-11-01&to=2026-11-30")
            pg.wait_for_selector("svg.chart")
            # the top of the page: filters, the figures, the problem classes and the days (the rest is tables)
            bottom = pg.evaluate("document.querySelector('#periods-title').closest('section').getBoundingClientRect()"
                                 ".top + window.scrollY + 330")
            pg.screenshot(path=str(OUT / "stats.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1280,
                                                                           "height": bottom})
            if "--report" in sys.argv:  # the printable month too, for a look (not in the README)
                pg.goto("/stats/report?month=2026-11")
                pg.pdf(path=str(tmp / "report.pdf"), format="A4")
                print(f"monthly report as PDF: {tmp / 'report.pdf'}")
    print(f"screenshot written to {OUT / 'stats.png'}")


if __name__ == "__main__":
    main()
