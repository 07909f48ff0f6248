"""The store tests' database handle and clock, and a cheap password hasher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import Engine

from app.store.db import create_engine_from_url

#: Cheap argon2id parameters so tests stay fast; production uses argon2-cffi's defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Database:
    """One test database: its engine, and a way to open more engines (own pools) on it."""

    backend: str
    url: str
    engine: Engine
    _extra: list[Engine] = field(default_factory=list)

    def new_engine(self) -> Engine:
        """Another engine on the same database, like a second server process."""
        engine = create_engine_from_url(self.url)
        self._extra.append(engine)
        return engine

    def dispose(self) -> None:
        for engine in [*self._extra, self.engine]:
            engine.dispose()


class Clock:
    """A settable clock for expiry tests."""

    def __init__(self, start: datetime = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
