"""Dutch working days: weekends and the public holidays of the `holidays` package skipped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from gql.services.shared.formatting import local_date

BUSINESS_CHECK_WORKING_DAYS = 5


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Dutch public holiday."""
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start`; `start` itself never counts."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def business_check_expected_by(requested_at: datetime) -> date:
    """When a business access-code request is answered at the latest (SPEC §3.1)."""
    return add_working_days(local_date(requested_at), BUSINESS_CHECK_WORKING_DAYS)
