"""When maintenance is usual: working days 21:00-08:00 and weekends, Europe/Amsterdam."""

from __future__ import annotations

from datetime import datetime

import pytest

from gql.services.service import outside_usual_hours
from gql.services.shared.formatting import AMSTERDAM


def amsterdam(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=AMSTERDAM)


# April 2027: the 20th is a Tuesday, the 24th a Saturday, the 27th King's Day (a Tuesday).
@pytest.mark.parametrize(
    ("starts_at", "ends_at", "outside"),
    [
        pytest.param(amsterdam("2027-04-20", 14), amsterdam("2027-04-20", 16), True, id="tue-14h"),
        pytest.param(
            amsterdam("2027-04-20", 22), amsterdam("2027-04-21", 6), False, id="tue-22h-night"
        ),
        pytest.param(amsterdam("2027-04-24", 10), amsterdam("2027-04-24", 18), False, id="sat"),
        pytest.param(
            amsterdam("2027-04-27", 10), amsterdam("2027-04-27", 16), False, id="kings-day"
        ),
        pytest.param(
            amsterdam("2027-04-23", 20), amsterdam("2027-04-24", 2), True, id="fri-from-20h"
        ),
        pytest.param(
            amsterdam("2027-04-25", 22), amsterdam("2027-04-26", 8), False, id="sun-to-mon-8h"
        ),
        pytest.param(
            amsterdam("2027-04-25", 22), amsterdam("2027-04-26", 8, 30), True, id="sun-to-mon-8h30"
        ),
        pytest.param(
            amsterdam("2027-04-24", 0), amsterdam("2027-04-28", 0), True, id="across-a-holiday"
        ),
    ],
)
def test_a_window_is_outside_usual_hours_when_it_reaches_into_a_working_day_from_8_to_21(
    starts_at: datetime, ends_at: datetime, outside: bool
) -> None:
    # when / then
    assert outside_usual_hours(starts_at, ends_at) is outside
