"""What recording events costs suggest: ``POST /v1/suggest`` with recording on, off, and a bare endpoint.

Two shouhou apps (each on its own temporary SQLite database, one with
``record_events=False``) and a bare FastAPI JSON endpoint run on one event loop,
called in turn through ``httpx.ASGITransport`` (see ``inprocess.py``), so that the
machine's noise falls on all three alike.  Printed: p50/p99 of each, the ratios to
the bare endpoint, and how long the recorder's background thread took to write what
the run recorded (masking included), per event.  Every request is for another order,
as in real use.

    .venv/bin/python benchmarks/bench_events.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_suggest import CONTEXT, MESSAGES  # noqa: E402
from inprocess import InProcess, bare_app, pct, quiet_logs  # noqa: E402

from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Using `httpx`")

    loop = asyncio.new_event_loop()
    apps = {}
    for name, record in (("on", True), ("off", False)):
        tmp = tempfile.mkdtemp()
        settings = Settings().model_copy(
            update={"database_url": f"sqlite:///{tmp}/bench.db", "agent_access": "open", "record_events": record}
        )
        apps[name] = InProcess(create_app(settings), loop)
    quiet_logs()
    bare = InProcess(bare_app(), loop)
    shop = {"carriers": ["申通"]}
    bodies = [
        {"message": m, "context": {**CONTEXT, "order_id": str(3312456789 + 97 * n), "buyer_name": f"买家{n}"}, "shop": shop}
        for n in range(args.rounds)
        for m in MESSAGES
    ]

    async def run() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {"on": [], "off": [], "bare": []}
        for body in bodies[: len(MESSAGES)]:  # warm-up
            for app in apps.values():
                await app.post("/v1/suggest", body)
        for body in bodies:
            times["on"].append(await apps["on"].post("/v1/suggest", body))
            times["off"].append(await apps["off"].post("/v1/suggest", body))
            times["bare"].append(await bare.post("/bare", body))
        return times

    try:
        times = loop.run_until_complete(run())
        b50 = statistics.median(times["bare"])
        for name, label in (("on", "POST /v1/suggest, recording on"), ("off", "POST /v1/suggest, recording off"),
                            ("bare", "bare FastAPI JSON endpoint, same run")):
            p50 = statistics.median(times[name])
            ratio = f"   {p50 / b50:5.2f}x bare" if name != "bare" else ""
            print(f"{label:40s} p50 {p50:6.2f} ms   p99 {pct(times[name], 0.99):6.2f} ms{ratio}   (n={len(times[name])})")
        on, off = statistics.median(times["on"]), statistics.median(times["off"])
        print(f"{'recording on / off (p50)':40s} {on / off:6.2f}x  ({(on - off) * 1000:+.0f} µs)")

        recorder = apps["on"].app.state.events
        # What the background thread does with a batch: mask, insert (one transaction per batch).
        from app.store.events import Shown, SuggestEvent

        events = [
            SuggestEvent(
                time_now(), "default", "anonymous", "open", [("color_difference", 0.9)], [],
                f"{MESSAGES[i % len(MESSAGES)]} 订单号 {3312456789 + i} 电话 1381234{i % 10000:04d}",
                [Shown(f"bench{i}-{k}", "color_difference/standard", "color_difference", k, "亲，非常抱歉") for k in (1, 2, 3)],
            )
            for i in range(2000)
        ]
        t = time.perf_counter()
        for i in range(0, len(events), 200):
            recorder.store.add(events[i : i + 200])
        ms = (time.perf_counter() - t) * 1000
        print(f"{'writing 2,000 events (200 a batch, SQLite)':40s} {ms:6.0f} ms = {ms / len(events) * 1000:.0f} µs per event")
    finally:
        for app in (*apps.values(), bare):
            app.close()
        loop.close()


def time_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


if __name__ == "__main__":
    main()
