"""Does a burst of wrong logins, or a database write lock held elsewhere, stall other requests?

Run: ``.venv/bin/python benchmarks/bench_login.py [--lock-seconds 35]``.  Starts a real
server (uvicorn, a temp SQLite file, production argon2 parameters) and measures
``GET /healthz`` while

1. four wrong logins run at once (each from its own loopback address and against
   its own user, so login throttling does not cut them short), round after round;
2. one address sends 200 wrong passwords for one account, four at a time (how
   many are checked at all, and what the rest get);
3. another connection holds the SQLite write lock (``BEGIN IMMEDIATE``) while a
   request with a never-used API key arrives (its last-used time needs the lock).

Prints p50/max of ``/healthz`` in milliseconds, the logins' statuses, and the
API-key request's status and time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
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

PARALLEL = 4
PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _poll_health(base: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=120) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            c.get("/healthz").raise_for_status()
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.02)


def _report(label: str, ms: list[float]) -> None:
    print(f"{label}: /healthz n={len(ms)} p50 {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms", flush=True)


def wrong_logins(base: str, users: list[str], seconds: float) -> None:
    quiet: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=_poll_health, args=(base, stop, quiet))
    poller.start()
    time.sleep(2)
    stop.set()
    poller.join()
    _report("idle", quiet)

    loaded: list[float] = []
    login_ms: list[float] = []
    statuses: dict[int, int] = {}
    stop = threading.Event()
    done = threading.Event()
    counter = iter(range(10**6))
    lock = threading.Lock()

    def attacker(t: int) -> None:
        while not done.is_set():
            with lock:
                n = next(counter)
            # A fresh source address and user each time: measures argon2 cost, not the throttle.
            address = f"127.{1 + t}.{n // 250 % 250}.{1 + n % 250}"
            with httpx.Client(base_url=base, timeout=120,
                              transport=httpx.HTTPTransport(local_address=address)) as c:
                t0 = time.perf_counter()
                r = c.post("/login", data={"username": users[n % len(users)], "password": "wrong password!"})
                login_ms.append((time.perf_counter() - t0) * 1000)
                with lock:
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    attackers = [threading.Thread(target=attacker, args=(t,)) for t in range(PARALLEL)]
    for a in attackers:
        a.start()
    poller = threading.Thread(target=_poll_health, args=(base, stop, loaded))
    poller.start()
    time.sleep(seconds)
    stop.set()
    poller.join()
    done.set()
    for a in attackers:
        a.join()
    _report(f"{PARALLEL} parallel wrong logins", loaded)
    print(f"  logins: n={len(login_ms)} p50 {statistics.median(login_ms):.0f} ms, statuses {statuses}", flush=True)


def guessing(base: str, user: str, attempts: int = 200) -> None:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    left = iter(range(attempts))
    t0 = time.perf_counter()

    def guesser() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            while True:
                with lock:
                    if next(left, None) is None:
                        return
                r = c.post("/login", data={"username": user, "password": "wrong password!"})
                with lock:
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    threads = [threading.Thread(target=guesser) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{attempts} wrong passwords for one account from one address: statuses {dict(sorted(statuses.items()))} "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)


def write_lock(base: str, db_file: Path, key: str, hold: float) -> None:
    holder = sqlite3.connect(db_file, isolation_level=None, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    ms: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=_poll_health, args=(base, stop, ms))
    result: dict = {}

    def keyed() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            t0 = time.perf_counter()
            r = c.post("/v1/check", json={"text": "好的"}, headers={"Authorization": f"Bearer {key}"})
            result.update(status=r.status_code, ms=(time.perf_counter() - t0) * 1000,
                          detail=r.json().get("detail") if r.status_code >= 400 else "")

    caller = threading.Thread(target=keyed)
    poller.start()
    time.sleep(0.3)
    caller.start()
    caller.join(timeout=hold)
    holder.execute("ROLLBACK")
    holder.close()
    caller.join()
    time.sleep(0.5)
    stop.set()
    poller.join()
    _report(f"write lock held {hold:.0f} s elsewhere, one API-key request", ms)
    print(f"  API-key request: {result.get('status')} in {result.get('ms', 0):.0f} ms {result.get('detail') or ''}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="how long to run the wrong logins")
    parser.add_argument("--lock-seconds", type=float, default=35, help="longest wait for the API-key request")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_login_"))
    db_file = tmp / "shouhou.db"
    url = f"sqlite:///{db_file}"
    engine = open_engine(url)
    accounts = AccountStore(engine)
    users = [f"user{i}" for i in range(60)]
    for name in users:
        accounts.create_user(name, PASSWORD, "editor")
    key, _ = accounts.create_api_key("bench", "agent")
    accounts.create_user("bench-admin", PASSWORD, "admin")  # an admin exists: no setup token printed
    engine.dispose()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SHOUHOU_DATABASE_URL": url, "SHOUHOU_AGENT_ACCESS": "key"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        wrong_logins(base, users[1:], args.seconds)
        guessing(base, users[0])
        write_lock(base, db_file, key, args.lock_seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
