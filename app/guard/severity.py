"""The guard's three severities, their order and their names on the pages: the one definition.

``block`` 禁止发送 (the reply must not go out), ``warn`` 需要确认 (the agent confirms
first), ``info`` 提示.  Everything that names a severity imports it from here.
"""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["block", "warn", "info"]

#: Every severity, gravest first.
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

#: Higher is graver: a span flagged twice keeps its gravest flag.
SEVERITY_RANK: dict[str, int] = {"info": 0, "warn": 1, "block": 2}

#: The one vocabulary of the pages (never 警告 / "warn 级").
SEVERITY_NAMES: dict[Severity, str] = {"block": "禁止发送", "warn": "需要确认", "info": "提示"}

#: The severities an editor has to deal with before publishing.
FLAGGING: tuple[Severity, ...] = ("block", "warn")
