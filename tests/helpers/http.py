"""Request headers for the API tests."""

from __future__ import annotations


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}
