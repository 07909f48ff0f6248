"""What the guard tests compare: the rules a list of flags names."""

from __future__ import annotations


def rules_of(flags) -> set[str]:
    return {f.rule for f in flags}
