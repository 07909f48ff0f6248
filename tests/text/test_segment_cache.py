"""jieba's prefix-dictionary cache lives in the cache directory, readable by the user that runs shouhou.

jieba's own default is ``/tmp/jieba.cache``, written mode 0600 by whoever builds it first.
In the Docker image that was root (at build time), so the non-root server could neither
read nor replace it: every start rebuilt the dictionary, logged a traceback and left a
9 MB temporary file in /tmp.  The cases run as ``nobody`` need root and ``runuser``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from app import PROJECT_ROOT
from app.text.segment import Segmenter

BUILD = "from app.text.segment import Segmenter; print(Segmenter().tokens('颜色和图片差好多'))"


def test_the_cache_is_written_to_the_cache_dir_and_reused(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where jieba would put it by default
    cache = tmp_path / "cache"

    Segmenter(cache_dir=cache)
    written = (cache / "jieba.cache").stat()
    assert written.st_size > 1_000_000
    second = Segmenter(cache_dir=cache)

    assert (cache / "jieba.cache").stat().st_mtime_ns == written.st_mtime_ns  # loaded, not rebuilt
    assert list(scratch.iterdir()) == []
    assert second.tokens("颜色和图片差好多")[:2] == ["颜色", "和"]


def test_shouhou_cache_dir_is_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOUHOU_CACHE_DIR", str(tmp_path / "from-env"))
    Segmenter()
    assert (tmp_path / "from-env" / "jieba.cache").is_file()


def _python_for_nobody() -> str:
    """An interpreter ``nobody`` may run (the project's may sit under root's home), same version."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("running as another user needs root and runuser")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, sys._base_executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        ok = subprocess.run(["runuser", "-u", "nobody", "--", candidate, "-c", "pass"], capture_output=True)
        if ok.returncode == 0:
            return candidate
    pytest.skip(f"no {version} that nobody may run")


def _as_nobody(python: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(PROJECT_ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent", "PYTHONPATH": path, **env}
    return subprocess.run(
        ["runuser", "-u", "nobody", "--", "env", *(f"{k}={v}" for k, v in full.items()), python, "-c", BUILD],
        capture_output=True, text=True, timeout=120, cwd="/",
    )


@pytest.fixture
def place():
    """A directory every user can reach (pytest's own tmp_path is root's alone)."""
    where = Path(tempfile.mkdtemp(prefix="shouhou-test-"))
    where.chmod(0o755)
    yield where
    shutil.rmtree(where)


@pytest.fixture
def shared_tmp(place):
    """A /tmp-like directory (sticky, world-writable) holding root's unreadable jieba.cache, as in the old image."""
    tmp = place / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)
    planted = tmp / "jieba.cache"
    planted.write_bytes(b"root's cache")
    planted.chmod(0o600)
    return tmp


def test_a_non_root_user_builds_its_cache_once_and_reads_it(place, shared_tmp):
    python = _python_for_nobody()
    cache = place / "cache"
    cache.mkdir()
    shutil.chown(cache, "nobody")
    env = {"TMPDIR": str(shared_tmp), "SHOUHOU_CACHE_DIR": str(cache)}

    first = _as_nobody(python, env)
    assert first.returncode == 0, first.stderr
    built = (cache / "jieba.cache").stat()
    second = _as_nobody(python, env)

    assert second.returncode == 0, second.stderr
    assert "颜色" in second.stdout
    for run in (first, second):
        assert "Traceback" not in run.stderr and "Dump cache file failed" not in run.stderr
    assert (cache / "jieba.cache").stat().st_mtime_ns == built.st_mtime_ns  # the second start read it
    assert sorted(p.name for p in shared_tmp.iterdir()) == ["jieba.cache"]  # nothing left in /tmp


def test_an_unwritable_cache_dir_costs_time_but_leaves_nothing_behind(place, shared_tmp):
    python = _python_for_nobody()
    cache = place / "root-owned"
    cache.mkdir(mode=0o755)

    run = _as_nobody(python, {"TMPDIR": str(shared_tmp), "SHOUHOU_CACHE_DIR": str(cache)})

    assert run.returncode == 0, run.stderr
    assert "颜色" in run.stdout
    assert "Traceback" not in run.stderr
    assert "not writable" in run.stderr
    assert list(cache.iterdir()) == []
    assert sorted(p.name for p in shared_tmp.iterdir()) == ["jieba.cache"]
