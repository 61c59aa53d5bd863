"""Time comes from one clock object so tests can move it (idle and absolute expiry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The wall clock in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to; for tests and scripted demos."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)
