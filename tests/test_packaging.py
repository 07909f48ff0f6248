"""shouhou as a package: a wheel that works without the checkout, and dependencies that cannot drift.

The wheel test builds the wheel from a copy of the source (offline: the build tools
and the dependencies come from this environment), installs it into a fresh virtual
environment and runs ``shouhou`` from a directory outside the repository, with a home
of its own: the content, pages and matching policy must come from the installed
package, and nothing may be written into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "data", "build", "dist", "*.egg-info", "__pycache__", "test-artifacts", ".pytest_cache", ".ruff_cache"
)


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra if canonicalize_name(Requirement(r).name) != "shouhou"]
    return reqs


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(PROJECT_ROOT, source, ignore=SKIP, symlinks=True)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(source)])
    (wheel,) = (tmp / "dist").glob("shouhou-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # The dependencies from this environment, after the wheel's own files (a .pth line is appended
    # to sys.path; this environment's editable install of the checkout is not activated by it).
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)])

    home = tmp / "home"
    elsewhere = tmp / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return {"venv": venv, "python": python, "site": site, "home": home, "cwd": elsewhere, "env": env, "wheel": wheel}


def _shouhou(installed: dict, *args: str) -> subprocess.CompletedProcess:
    return _run([str(installed["venv"] / "bin" / "shouhou"), *args], cwd=installed["cwd"], env=installed["env"])


def test_the_installed_wheel_lints_and_suggests_from_its_own_content(installed):
    lint = _shouhou(installed, "lint")
    assert "内容检查通过" in lint.stdout
    assert "0 个意图" not in lint.stdout

    suggest = _shouhou(installed, "suggest", "东西到了，但是少发了一双", "--json")
    assert '"missing_item"' in suggest.stdout

    greeting = _shouhou(installed, "suggest", "在吗")
    assert greeting.stdout.strip()


def test_the_installed_package_has_its_pages_and_policy_and_writes_outside_itself(installed):
    probe = _run(
        [
            str(installed["python"]),
            "-c",
            "import app, json; from importlib.resources import files; web = files('app.web');"
            "print(json.dumps({'root': str(app.PROJECT_ROOT), 'checkout': app.FROM_CHECKOUT,"
            "'static': sorted(p.name for p in (web / 'static').iterdir()),"
            "'pages': sorted(p.name for p in (web / 'templates').iterdir()),"
            "'policy': (files('app.matching') / 'policy.yaml').is_file()}))",
        ],
        cwd=installed["cwd"],
        env=installed["env"],
    )
    found = json.loads(probe.stdout)
    assert found["checkout"] is False
    assert Path(found["root"]).is_relative_to(installed["site"])
    assert {"app.css", "common.js", "workbench.js", "editor.js", "admin.js"} <= set(found["static"])
    assert {"base.html", "workbench.html", "login.html", "setup.html"} <= set(found["pages"])
    assert found["policy"] is True

    _shouhou(installed, "suggest", "在吗")
    assert (installed["home"] / ".local" / "share" / "shouhou" / "shouhou.db").is_file()
    assert (installed["home"] / ".cache" / "shouhou" / "jieba.cache").is_file()
    package = installed["site"] / "app"
    assert not [p for p in package.rglob("*") if p.suffix in (".db", ".cache", ".npz")]


def test_every_dependency_has_an_upper_bound():
    unbounded = [str(r) for r in _requirements() if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert unbounded == []


def test_constraints_pin_every_dependency_within_its_bounds():
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(req.name)] = spec.version
    problems = []
    for req in _requirements():
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name} is not in constraints.txt (run make lock)")
        elif pins[name] not in req.specifier:
            problems.append(f"constraints.txt has {req.name}=={pins[name]}, outside {req.specifier} (run make lock)")
    assert problems == []


def test_the_runtime_install_leaves_out_the_dev_tools_and_postgresql_driver():
    runtime = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not runtime & {"pytest", "ruff", "playwright", "schemathesis", "httpx", "psycopg"}
    assert [canonicalize_name(Requirement(r).name) for r in extras["postgres"]] == ["psycopg"]
    assert "shouhou[postgres]" in extras["dev"]  # the tests run on PostgreSQL too


def test_a_postgresql_url_without_psycopg_says_how_to_install_it(tmp_path):
    # The runtime install has no psycopg: hide this environment's copy from the child process.
    hide = "import sys; sys.modules['psycopg'] = None; from app.cli import app; app(['serve'])"
    env = {**os.environ, "SHOUHOU_DATABASE_URL": "postgresql+psycopg://shouhou@127.0.0.1/shouhou"}
    done = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "SHOUHOU_DATABASE_URL" in done.stderr
    assert "使用 PostgreSQL 需要 psycopg" in done.stderr and "shouhou[postgres]" in done.stderr
    assert "Traceback" not in done.stderr
