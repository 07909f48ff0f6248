"""Editors saving at once: latency of PUT /v1/templates/… and /v1/intents/… over real HTTP.

Starts ``uvicorn app.main:app`` (one worker) on a fresh SQLite file, creates an
editor key, then lets EDITORS threads each save its own template (or intent)
ROUNDS times, as fast as they can, each save based on the version it last saw.
Meanwhile one more thread polls ``/healthz``, so the figures also show whether
saving stalls other requests.  Every save is then read back: a save that was
acknowledged and is not there would be printed as lost.

    .venv/bin/python benchmarks/bench_saves.py [--editors 8] [--rounds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.store import AccountStore, open_engine  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "SHOUHOU_DATABASE_URL": db_url, "SHOUHOU_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def run(base: str, key: str, kind: str, ids: list[str], rounds: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    not_live = 0
    acknowledged: dict[str, tuple[int, str]] = {}
    errors: list[str] = []
    stop = threading.Event()
    health: list[float] = []

    def editor(doc_id: str) -> None:
        nonlocal not_live
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            doc = c.get(f"/v1/{kind}/{doc_id}").json()
            version, source = doc["version"], doc["source"]
            for i in range(rounds):
                # A harmless change that keeps the document valid: a YAML comment at the end.
                if kind == "intents":  # one more example: the classifier is retrained
                    body = source.rstrip("\n") + "\n" + f"# 第{i}次修改\n"
                    body = body.replace("examples:\n", f"examples:\n  - 第{i}次加的例句{doc_id}\n", 1)
                else:  # a Jinja comment: the reply stays the same, the document is a new version
                    body = source.rstrip("\n") + "\n" + f"{{# 第{i}次修改 #}}\n"
                t = time.perf_counter()
                r = c.put(f"/v1/{kind}/{doc_id}", json={"source": body, "confirm_warnings": True}, headers={"If-Match": f'"{version}"'})
                latencies.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    errors.append(f"{doc_id}: {r.status_code} {r.text[:200]}")
                    return
                version = r.json()["version"]
                not_live += not r.json().get("live", True)
                acknowledged[doc_id] = (version, body)

    def poll() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not stop.is_set():
                t = time.perf_counter()
                c.get("/healthz")
                health.append((time.perf_counter() - t) * 1000)
                time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=editor, args=(i,)) for i in ids]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    stop.set()
    poller.join()

    lost = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        for doc_id, (version, body) in acknowledged.items():
            doc = c.get(f"/v1/{kind}/{doc_id}").json()
            lost += doc["version"] != version or doc["source"] != body
    print(
        f"{len(ids)} editors x {rounds} {kind} saves: PUT p50 {statistics.median(latencies):7.1f} ms  "
        f"p99 {pct(latencies, 0.99):7.1f} ms  max {max(latencies):7.1f} ms  ({len(latencies) / wall:.1f} saves/s; "
        f"{not_live} answered before live)"
    )
    print(f"    /healthz meanwhile: p50 {statistics.median(health):.1f} ms  max {max(health):.1f} ms (n={len(health)})")
    print(f"    errors {len(errors)}, acknowledged saves lost {lost}")
    for e in errors[:5]:
        print("    ", e)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--editors", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--database-url", help="an empty database to use instead of a fresh SQLite file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        accounts = AccountStore(open_engine(db_url))
        key, _ = accounts.create_api_key("bench-editor", "admin")
        port = free_port()
        proc = start_server(db_url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
                templates = [t["id"] for t in c.get("/v1/templates").json()["templates"]]
                intents = [i["id"] for i in c.get("/v1/intents").json()["intents"] if not i["id"].startswith("_")]
            run(base, key, "templates", templates[: args.editors], args.rounds)
            run(base, key, "intents", intents[: args.editors], max(2, args.rounds // 3))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
