"""The Dockerfile, read (there is no Docker daemon here to build it): what can be checked without one.

Its HEALTHCHECK command is run for real against a small HTTP server; the layer order, the
user the caches are built as and the build context are checked from the files.  That
the jieba cache works for a non-root user is tested in tests/text/test_segment_cache.py,
and that the wheel the image installs is complete in tests/test_packaging.py.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import PROJECT_ROOT


def _instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of the Dockerfile, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    return out


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions()
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def _healthcheck_command() -> list[str]:
    (args,) = [rest for word, rest in _final_stage() if word == "HEALTHCHECK"]
    command = args[args.index("CMD ") + 4 :].strip()
    return json.loads(command) if command.startswith("[") else ["sh", "-c", command]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _probe(port: int) -> int:
    command = _healthcheck_command()
    if command[0] == "python":
        command = [sys.executable, *command[1:]]
    env = {**os.environ, "SHOUHOU_PORT": str(port)}
    return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode


def test_the_healthcheck_asks_the_configured_port(health_server):
    port = health_server.server_address[1]
    assert port != 8000
    assert _probe(port) == 0

    _Health.status = 503
    try:
        assert _probe(port) != 0
    finally:
        _Health.status = 200


def test_the_healthcheck_fails_when_nothing_listens(health_server):
    port = health_server.server_address[1]
    health_server.shutdown()
    health_server.server_close()
    assert _probe(port) != 0


def test_dependencies_are_installed_before_the_code_is_copied():
    stage = _final_stage()
    copies = [(i, rest) for i, (word, rest) in enumerate(stage) if word == "COPY"]
    deps = next(i for i, (word, rest) in enumerate(stage) if word == "RUN" and "-r /tmp/deps/requirements.txt" in rest)
    code = next(i for i, rest in copies if "--from=wheel" in rest)
    before = [shlex.split(rest)[:-1] for i, rest in copies if i < deps]
    assert sorted(src for srcs in before for src in srcs) == ["constraints.txt", "pyproject.toml", "scripts/requirements.py"]
    assert "-c /tmp/deps/constraints.txt" in stage[deps][1]
    assert deps < code


def test_caches_are_built_as_the_user_that_runs_the_server():
    stage = _final_stage()
    env = " ".join(rest for word, rest in stage if word == "ENV")
    assert "SHOUHOU_CACHE_DIR=/var/cache/shouhou" in env
    users = [i for i, (word, _) in enumerate(stage) if word == "USER"]
    warm = next(i for i, (word, rest) in enumerate(stage) if word == "RUN" and "shouhou suggest" in rest)
    assert users and users[0] < warm and stage[users[0]][1] == "shouhou"
    chown = next(rest for word, rest in stage if word == "RUN" and "chown" in rest)
    assert "/var/cache/shouhou" in chown and "/data" in chown
    # the classifier is trained without leaving a database in the image
    assert "SHOUHOU_DATABASE_URL=sqlite:///:memory:" in stage[warm][1]


def test_the_build_context_leaves_local_files_out_and_keeps_what_the_wheel_needs():
    patterns = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p.removeprefix("**/")) for p in patterns)

    for local in (".git", ".venv", ".env", "data", "test-artifacts", "shouhou.egg-info", "__pycache__"):
        assert ignored(local), local
    needed = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "constraints.txt", "app", "scripts",
              "intents", "templates", "rules", "lexicon"]
    assert [n for n in needed if ignored(n)] == []
    assert all((PROJECT_ROOT / n).exists() for n in needed)
