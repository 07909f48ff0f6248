"""Situation alerts: risks in the buyer's message that the agent must not promise away.

The buyer asks for a courier the shop does not use, threatens a bad review, asks
for an invoice that differs from the order, asks to add money to the price, to
move to WeChat or to pay off-platform, or demands a guaranteed arrival date.
What to look for is data, in the ``alert`` section of each rule file.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from app import PROJECT_ROOT
from app.guard.guard import Guard
from app.guard.rules import Severity
from app.shop import ShopProfile
from app.text.normalize import Normalized

RULES_DIR = PROJECT_ROOT / "rules"


class Alert(BaseModel):
    """``model_dump()`` is exactly an item of ``alerts`` in ``POST /v1/suggest``."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    message: str


@lru_cache(maxsize=1)
def default_guard() -> Guard:
    """The guard built from the bundled ``rules/`` directory (loaded once)."""
    return Guard.from_dir(RULES_DIR)


def situation_alerts(
    message: str,
    shop: ShopProfile | None = None,
    guard: Guard | None = None,
    normalized: Normalized | None = None,
) -> list[Alert]:
    """Alerts for a buyer's ``message``; a plain complaint gets none.

    ``guard`` defaults to the bundled rules; pass the app's own guard when rules
    come from the store.  ``normalized``: the message as ``normalize`` already gave
    it (``suggest`` normalises once, for matching and for the alerts).
    """
    g = guard if guard is not None else default_guard()
    return [
        Alert(rule=rule.id, severity=sev, message=text)
        for rule, sev, text in g.alerts(message, shop, normalized)
    ]
