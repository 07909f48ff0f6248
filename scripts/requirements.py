"""Print shouhou's runtime requirements from pyproject.toml, one a line, plus those of the extras named.

The Dockerfile installs them (with ``-c constraints.txt``) in a layer of their own, before
the code is copied in, so that a code change does not reinstall every dependency:
``python scripts/requirements.py postgres > requirements.txt``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(extras: list[str], pyproject: Path = PYPROJECT) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extra {', '.join(unknown)}; pyproject.toml has {', '.join(optional)}")
    return list(project["dependencies"]) + [r for e in extras for r in optional[e]]


if __name__ == "__main__":
    extras = [e for arg in sys.argv[1:] for e in arg.split(",") if e.strip()]
    print("\n".join(requirements([e.strip() for e in extras])))
