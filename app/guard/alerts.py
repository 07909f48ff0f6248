"""Situation alerts: risks in the buyer's message that the agent must not promise away.

The buyer asks for a courier the shop does not use, threatens a bad review, asks
for an invoice that differs from the order, asks to add money to the price, to
move to WeChat or to pay off-platform, or demands a guaranteed arrival date.
What to look for is data, in the ``alert`` section of each rule file.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.guard.guard import Guard
from app.guard.severity import Severity
from app.shop import ShopProfile
from app.text.normalize import Normalized


class Alert(BaseModel):
    """``model_dump()`` is exactly an item of ``alerts`` in ``POST /v1/suggest``."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    message: str


def situation_alerts(
    message: str,
    shop: ShopProfile | None,
    guard: Guard,
    normalized: Normalized | None = None,
) -> list[Alert]:
    """Alerts for a buyer's ``message``; a plain complaint gets none.

    ``guard``: the assistant's guard (its rules come from the store).  ``normalized``: the message as ``normalize`` already gave
    it (``suggest`` normalises once, for matching and for the alerts).
    """
    return [
        Alert(rule=rule.id, severity=sev, message=text)
        for rule, sev, text in guard.alerts(message, shop, normalized)
    ]
