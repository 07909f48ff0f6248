"""Write constraints.txt: the exact versions, installed in this environment, of everything shouhou[dev] needs.

Run it (``make lock``) after ``make test`` passes with new versions (raise a bound in
pyproject.toml, ``.venv/bin/pip install -U -e '.[dev]'``, ``make test``, ``make lock``):
``make run`` and ``make test`` then install exactly what was tested.  Only the
dependency closure of shouhou and its ``dev``/``postgres`` extras is written, with
each package's markers evaluated here, not whatever else happens to be installed.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "shouhou"
EXTRAS = ("dev", "postgres")


def closure() -> dict[str, str]:
    """``{name: version}`` of every installed distribution shouhou[dev,postgres] depends on."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(PROJECT, frozenset(EXTRAS))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(name)
        if canonicalize_name(name) != PROJECT:
            found[canonicalize_name(name)] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            wanted = [""] + sorted(extras)
            if req.marker and not any(req.marker.evaluate({**default_environment(), "extra": e}) for e in wanted):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return found


def main() -> None:
    pins = closure()
    lines = [
        "# The versions `make test` passed with; `make run`/`make test` install with -c constraints.txt.",
        f"# Written by scripts/lock.py (make lock) on Python {sys.version_info.major}.{sys.version_info.minor}; "
        "do not edit by hand.",
        *(f"{name}=={version}" for name, version in sorted(pins.items())),
    ]
    (ROOT / "constraints.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"constraints.txt: {len(pins)} packages")


if __name__ == "__main__":
    main()
