"""Starting up: importing the app builds nothing, and the command line and a server reuse the
classifier trained before (without even importing scikit-learn) instead of training again."""

import json
import os
import subprocess
import sys

import pytest

from app import PROJECT_ROOT

# Runs the CLI in a fresh process and reports, on the last line of stderr, which heavy modules it loaded.
CLI = """
import json, sys
from app.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps({m: m in sys.modules for m in ("sklearn", "scipy")}), file=sys.stderr)
"""


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    e |= {
        "SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'shouhou.db'}",
        "SHOUHOU_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return e


def python(env, *args):
    r = subprocess.run([sys.executable, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_importing_the_app_builds_nothing(env, tmp_path):
    r = python(env, "-c", "import json, sys, app.main; print(json.dumps(['sklearn' in sys.modules, 'app' in vars(app.main)]))")
    assert json.loads(r.stdout) == [False, False]  # no scikit-learn, no app instance yet
    assert not (tmp_path / "shouhou.db").exists()  # no database seeded
    assert not list(tmp_path.glob("cache/matcher-*"))  # nothing trained


def test_cli_trains_once_then_reuses_the_cached_classifier(env, tmp_path):
    args = ["-c", CLI, "suggest", "颜色和图片差太多了，而且还少发了一件", "--json"]
    first = python(env, *args)
    assert json.loads(first.stderr.strip().splitlines()[-1])["sklearn"] is True  # trained
    assert len(list(tmp_path.glob("cache/matcher-*.npz"))) == 1
    second = python(env, *args)
    assert json.loads(second.stderr.strip().splitlines()[-1]) == {"sklearn": False, "scipy": False}
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert [i["id"] for i in json.loads(second.stdout)["intents"]][:2] == ["color_difference", "missing_item"]
    # `shouhou check` works from the same cache, and the server's `app.main:app` starts from it too.
    assert "给您发韵达" in python(env, "-c", CLI, "check", "可以的亲，给您发韵达", "--carriers", "申通").stdout
    r = python(env, "-c", "import sys; from app.main import app; app.state.holder.current();"
               "print('sklearn' in sys.modules)")
    assert r.stdout.strip() == "False"
    assert (tmp_path / "shouhou.db").exists()
