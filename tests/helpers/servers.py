"""Real server processes for the tests that need one: a free port, and waiting until the
process answers ``/healthz`` (or failing with the end of its log)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(proc: subprocess.Popen, base: str, log_path: Path, patience: float = 120) -> None:
    """Return once ``base/healthz`` answers 200; fail the test if the process dies or ``patience`` runs out."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"server did not start: {log_path.read_text(encoding='utf-8')[-3000:]}")
