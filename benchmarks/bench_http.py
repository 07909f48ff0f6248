"""Over real HTTP: req/s and latency of /v1/suggest and /v1/check against a bare FastAPI endpoint.

Runs ``shouhou serve`` (its h11 protocol, no access log, SQLite, agents local) and a bare
FastAPI app that parses a small JSON body and answers JSON, under the same uvicorn
settings, with 1 and 2 workers, and loads each with wrk (Debian's ``wrk``: 2 threads,
32 connections, DURATION seconds).  The figures that matter are the ratios: the machine
is shared and noisy, the run is the same.

    .venv/bin/python benchmarks/bench_http.py [--duration 10] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent

bare = FastAPI()


class Body(BaseModel):
    message: str


@bare.post("/echo")
async def echo(body: Body) -> dict:
    return {"length": len(body.message)}


MESSAGES = ["在吗", "收到的鞋子颜色和图片差好多", "快递显示签收了但我没收到", "能给我发顺丰吗 急用", "少发了一件，怎么处理"]
LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, bodies[(i %% #bodies) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server at {url} did not start")


def wrk(url: str, path: str, field: str, duration: int) -> tuple[float, str]:
    bodies = ", ".join(json.dumps(json.dumps({field: m}, ensure_ascii=False), ensure_ascii=False) for m in MESSAGES)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(LUA % (bodies, path))
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", "-s", f.name, url],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{path}: {bad.group(1)} failed responses")
    return rps, p99


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("bench_http: skipped, wrk is not installed (apt-get install wrk)")
        return
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            port_bare, port_app = free_port(), free_port()
            bare_proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "bench_http:bare", "--app-dir", str(ROOT / "benchmarks"),
                 "--port", str(port_bare), "--workers", str(workers), "--http", "h11", "--no-access-log",
                 "--log-level", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            env = {**os.environ, "SHOUHOU_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
            app_proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(port_app), "--workers", str(workers)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                wait_ready(bare_proc, f"http://127.0.0.1:{port_bare}/docs")
                wait_ready(app_proc, f"http://127.0.0.1:{port_app}/healthz")
                for path, field in (("/v1/suggest", "message"), ("/v1/check", "text")):
                    httpx.post(f"http://127.0.0.1:{port_app}{path}", json={field: "在吗"}, timeout=30).raise_for_status()
                base_rps, base_p99 = wrk(f"http://127.0.0.1:{port_bare}", "/echo", "message", args.duration)
                print(f"{workers} worker(s): bare FastAPI POST /echo   {base_rps:8.0f} req/s  p99 {base_p99}")
                for path, field in (("/v1/suggest", "message"), ("/v1/check", "text")):
                    rps, p99 = wrk(f"http://127.0.0.1:{port_app}", path, field, args.duration)
                    print(f"{workers} worker(s): POST {path:12s}        {rps:8.0f} req/s  p99 {p99}  "
                          f"= {rps / base_rps:.2f}x bare")
            finally:
                for p in (bare_proc, app_proc):
                    p.terminate()
                    p.wait(15)


if __name__ == "__main__":
    main()
