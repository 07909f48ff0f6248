"""Replica propagation: how long after a save through one server the other serves it.

Starts two ``shouhou serve`` processes on one PostgreSQL database (a fresh schema,
dropped afterwards), saves EDITS template edits through the first (each waits until
it is live there, as an editor's save does) and measures, from the moment the save
answered, when the second's ``/v1/suggest`` serves the new text.  Three set-ups:

* ``notify``: LISTEN/NOTIFY, the default (poll every second as a fallback);
* ``poll``: NOTIFY off (``SHOUHOU_NOTIFY_CHANGES=false``, as behind PgBouncer in
  transaction mode), the default poll every 1 s;
* ``poll-0.25``: NOTIFY off, ``SHOUHOU_REVISION_POLL_SECONDS=0.25``.

``--kind intent`` edits an intent instead (one more example: the other server
retrains its classifier) and waits until the other server's ``/healthz`` reports
the new content revision.

    .venv/bin/python benchmarks/bench_replicas.py [--edits 10] [--kind template|intent] [--pg-url URL]
                                                   [--modes notify,poll,poll-0.25]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.store import AccountStore, open_engine  # noqa: E402

TEMPLATE = "color_difference/standard"
MESSAGE = "亲 颜色和图片差好多啊"
MODES = {
    "notify": {},
    "poll": {"SHOUHOU_NOTIFY_CHANGES": "false"},
    "poll-0.25": {"SHOUHOU_NOTIFY_CHANGES": "false", "SHOUHOU_REVISION_POLL_SECONDS": "0.25"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(url: str, env_more: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SHOUHOU_DATABASE_URL": url, "SHOUHOU_AGENT_ACCESS": "local", **env_more}
    for name in ("SHOUHOU_HOST", "SHOUHOU_PORT", "SHOUHOU_SHOPS_FILE"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def wait_up(base: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {base} did not start")


def served(client: httpx.Client) -> str:
    r = client.post("/v1/suggest", json={"message": MESSAGE})
    r.raise_for_status()
    return " ".join(s["text"] for s in r.json()["suggestions"])


def revision(client: httpx.Client) -> int:
    return client.get("/healthz").json()["content_revision"]


def measure(url: str, env_more: dict[str, str], edits: int, kind: str) -> list[float]:
    servers = [start(url, env_more) for _ in range(2)]
    try:
        for _, base in servers:
            wait_up(base)
        db = open_engine(url)
        key = AccountStore(db).create_api_key(f"bench-{uuid.uuid4().hex[:6]}", "editor")[0]
        db.dispose()
        headers = {"Authorization": f"Bearer {key}"}
        times = []
        with httpx.Client(base_url=servers[0][1], headers=headers, timeout=60) as a, \
             httpx.Client(base_url=servers[1][1], timeout=60) as b:
            for i in range(edits):
                path = f"/v1/templates/{TEMPLATE}" if kind == "template" else "/v1/intents/color_difference"
                doc = a.get(path)
                marker = f"（测量{i}-{uuid.uuid4().hex[:4]}）"
                if kind == "template":
                    source = doc.json()["source"].rstrip("\n") + marker + "\n"
                else:
                    source = doc.json()["source"].replace("examples:\n", f"examples:\n  - 颜色差太多了{marker}\n", 1)
                r = a.put(path, json={"source": source}, headers={"If-Match": doc.headers["etag"]})
                r.raise_for_status()
                saved = time.monotonic()
                target = revision(a)
                while not (marker in served(b) if kind == "template" else revision(b) >= target):
                    if time.monotonic() - saved > 30:
                        raise SystemExit("an edit did not reach the other server within 30 s")
                    time.sleep(0.005)
                times.append(time.monotonic() - saved)
                time.sleep(0.3 + (i % 4) * 0.17)  # edits at varied points of the poll's cycle
        return times
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(15)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--pg-url", default=os.environ.get("SHOUHOU_TEST_PG_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--kind", choices=["template", "intent"], default="template")
    args = ap.parse_args()
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as e:  # no server here: nothing to measure
        print(f"replica propagation: skipped, PostgreSQL not reachable at {args.pg_url} ({type(e).__name__})")
        return
    print(f"replica propagation, 2 servers on PostgreSQL, {args.edits} {args.kind} edits (from the save's answer "
          f"until the other server serves it; target ≤ 500 ms)")
    for mode in args.modes.split(","):
        schema = f"shouhou_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            times = measure(f"{args.pg_url}?options=-csearch_path%3D{schema}", MODES[mode], args.edits, args.kind)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        ms = sorted(t * 1000 for t in times)
        print(f"  {mode:10s} p50 {statistics.median(ms):6.0f} ms   max {ms[-1]:6.0f} ms   "
              f"all: {' '.join(f'{t:.0f}' for t in (x * 1000 for x in times))}")
    admin.dispose()


if __name__ == "__main__":
    main()
