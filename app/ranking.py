"""Ranking that learns: the order of an intent's templates from what agents did with them.

Within an intent, templates are ordered by their smoothed acceptance for the shop,
``(used + a·p) / (shown + a)``, where ``used`` counts the suggestions of that template
that agents copied, inserted or sent (edited or not), ``shown`` how often it was
shown, ``p`` the intent's mean acceptance in that shop and ``a`` = ``PRIOR_WEIGHT``
(a Beta prior worth five showings).  A template nobody has seen yet scores ``p``: it
is not buried under those with a record, and a handful of showings cannot throw a
good one to the bottom.  Templates an editor pinned (``pinned: true``) come first
whatever their figures; ties keep the editors' default order (``standard`` first),
so with no data the order is exactly the default one.

A ``RankingTable`` is an immutable snapshot built from the event store's counts in
the background (``app.store.events.EventRecorder``); requests only look it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: How many showings the prior is worth.
PRIOR_WEIGHT = 5.0


@dataclass(frozen=True, slots=True)
class TemplateCount:
    """How often one template was shown in one shop, and how often agents used it."""

    shop: str
    intent: str
    template_id: str
    shown: int
    used: int


def smoothed(used: int, shown: int, prior: float, weight: float = PRIOR_WEIGHT) -> float:
    """``(used + weight·prior) / (shown + weight)``: acceptance pulled towards ``prior`` while data is scarce."""
    return (used + weight * prior) / (shown + weight)


@dataclass(frozen=True)
class Ranking:
    """One shop's smoothed acceptance per template, and each intent's mean (the prior)."""

    scores: dict[str, float] = field(default_factory=dict)
    priors: dict[str, float] = field(default_factory=dict)

    def score(self, template_id: str, intent: str) -> float:
        """The template's smoothed acceptance; the intent's mean for a template never shown (0 without data)."""
        found = self.scores.get(template_id)
        return found if found is not None else self.priors.get(intent, 0.0)

    def order(self, templates: Sequence[Any]) -> list[Any]:
        """``templates`` (in the default order) reordered: pinned first, then by score, best first."""
        return sorted(templates, key=lambda t: (not getattr(t, "pinned", False), -self.score(t.id, t.intent)))


class RankingTable:
    """Every shop's ``Ranking``; ``for_shop`` is a dictionary lookup."""

    def __init__(self, shops: dict[str, Ranking] | None = None):
        self._shops = shops or {}

    @classmethod
    def from_counts(cls, counts: Iterable[TemplateCount], weight: float = PRIOR_WEIGHT) -> RankingTable:
        by_shop: dict[str, list[TemplateCount]] = {}
        for c in counts:
            by_shop.setdefault(c.shop, []).append(c)
        shops = {}
        for shop, rows in by_shop.items():
            totals: dict[str, list[int]] = {}
            for c in rows:
                t = totals.setdefault(c.intent, [0, 0])
                t[0] += c.used
                t[1] += c.shown
            priors = {intent: used / shown if shown else 0.0 for intent, (used, shown) in totals.items()}
            scores = {c.template_id: smoothed(c.used, c.shown, priors[c.intent], weight) for c in rows}
            shops[shop] = Ranking(scores, priors)
        return cls(shops)

    def for_shop(self, shop: str) -> Ranking | None:
        """The shop's ranking, or None when nothing was recorded for it (the default order)."""
        return self._shops.get(shop)

    def __len__(self) -> int:
        return len(self._shops)
