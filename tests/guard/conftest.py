"""Fixtures for the compliance guard tests: one guard built from the bundled rules."""

from __future__ import annotations

import pytest

from app import PROJECT_ROOT
from app.guard.guard import Guard
from app.guard.rules import load_rules
from app.shop import ShopProfile

RULES_DIR = PROJECT_ROOT / "rules"


@pytest.fixture(scope="session")
def rules():
    return load_rules(RULES_DIR)


@pytest.fixture(scope="session")
def guard(rules) -> Guard:
    return Guard(rules)


@pytest.fixture
def shoe_shop() -> ShopProfile:
    """The shop of the Tmall exam: ships 申通 only, 72 h, 7-day returns, invoices for shoes."""
    return ShopProfile(
        name="某某旗舰店",
        carriers=["申通"],
        ship_within_hours=72,
        seven_day_return=True,
        invoice={"company": "某某鞋业有限公司", "categories": ["鞋"]},
    )
