"""Start-up: the command line as a whole process, and a server from launch to its first answer.

* ``shouhou suggest "在吗"``: wall and CPU time of the whole process, first with an empty
  model cache (it trains, and stores the classifier) and then with the cached one;
  ``python -c pass`` and a bare FastAPI import are printed next to it for scale.
* cold start: ``shouhou serve`` until ``POST /v1/suggest`` answers, with the cached
  classifier, as a restart (the database exists) and on a new database (it seeds the store
  first); a bare FastAPI app served by uvicorn the same way is the reference, in the same
  run (the machine is shared and noisy).

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BARE = """
from fastapi import FastAPI
app = FastAPI()
@app.post("/v1/suggest")
def suggest(body: dict):
    return {"intents": []}
"""


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall, cpu) seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(cmd: list[str], env: dict, port: int, timeout: float = 120.0) -> float:
    """Seconds from launching ``cmd`` until ``POST /v1/suggest`` on ``port`` answers 200."""
    body = json.dumps({"message": "在吗"})
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("POST", "/v1/suggest", body, {"content-type": "application/json"})
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.perf_counter() - t0
                raise RuntimeError(f"first answer was {status}")
            except (ConnectionError, OSError):
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}") from None
                time.sleep(0.01)
        raise RuntimeError("no answer")
    finally:
        proc.terminate()
        proc.wait(10)


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s (min {min(xs):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shouhou-bench-start-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    env |= {"SHOUHOU_DATABASE_URL": f"sqlite:///{tmp / 'cli.db'}", "SHOUHOU_CACHE_DIR": str(tmp / "cache"),
            "SHOUHOU_AGENT_ACCESS": "open"}
    (tmp / "bare.py").write_text(BARE)

    cli = [str(BIN / "shouhou"), "suggest", "在吗"]
    wall, cpu = timed(cli, env)
    print(f'shouhou suggest "在吗", no model cache (seeds, trains): {wall:.2f} s wall, {cpu:.2f} s CPU')
    runs = [timed(cli, env) for _ in range(args.runs)]
    py = [timed([sys.executable, "-c", "pass"], env) for _ in range(args.runs)]
    fa = [timed([sys.executable, "-c", "import fastapi, uvicorn"], env) for _ in range(args.runs)]
    print(f'shouhou suggest "在吗", cached model: {med([w for w, _ in runs])} wall, '
          f'{med([c for _, c in runs])} CPU  (python -c pass {med([w for w, _ in py])}, '
          f'import fastapi+uvicorn {med([w for w, _ in fa])})')

    restarts, fresh, bare = [], [], []
    for i in range(args.runs):
        port = free_port()
        restarts.append(first_answer([str(BIN / "shouhou"), "serve"], env | {"SHOUHOU_PORT": str(port)}, port))
        port = free_port()
        e = env | {"SHOUHOU_DATABASE_URL": f"sqlite:///{tmp / f'serve{i}.db'}", "SHOUHOU_PORT": str(port)}
        fresh.append(first_answer([str(BIN / "shouhou"), "serve"], e, port))
        port = free_port()
        bare.append(first_answer([str(BIN / "uvicorn"), "--app-dir", str(tmp), "--port", str(port), "bare:app"], env, port))
    ref = statistics.median(bare)
    print(f"cold start to the first /v1/suggest answer, cached model: restart {med(restarts)} "
          f"({statistics.median(restarts) / ref:.1f}x), new database {med(fresh)} ({statistics.median(fresh) / ref:.1f}x); "
          f"bare FastAPI on uvicorn {med(bare)}")


if __name__ == "__main__":
    main()
