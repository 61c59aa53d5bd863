"""The service tests run on a clock set to a Monday morning in Amsterdam, so a window can be
put on a named day (Saturday night, a working afternoon)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gql.clock import FrozenClock
from gql.services.shared.formatting import AMSTERDAM


@pytest.fixture
def clock() -> FrozenClock:
    """09:00 (Amsterdam) on the next Monday: one to seven days ahead of the real time, so the
    session cookie the app sets has not expired in the real world either."""
    today = datetime.now(AMSTERDAM).date()
    monday = today + timedelta(days=7 - today.weekday())
    morning = datetime(monday.year, monday.month, monday.day, 9, tzinfo=AMSTERDAM)
    return FrozenClock(morning.astimezone(UTC))
