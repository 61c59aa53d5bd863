"""Dutch working days: when a business access-code request is answered (SPEC §3.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import holidays
import pytest

from gql.services.shared.workdays import (
    add_working_days,
    business_check_expected_by,
    is_working_day,
    local_date,
)

# (request day in Europe/Amsterdam, expected 5th working day after it)
CASES = [
    # An ordinary Monday: Tue..Fri is four, the next Monday the fifth.
    pytest.param(date(2026, 3, 9), date(2026, 3, 16), id="plain-week"),
    # Easter 2027: Thu 25 Mar; Good Friday 26, the weekend and Easter Monday 29 are skipped,
    # so Tue 30, Wed 31, Thu 1, Fri 2, Mon 5 April.
    pytest.param(date(2027, 3, 25), date(2027, 4, 5), id="easter-2027-thursday"),
    # Wed 24 Mar 2027: Thu 25 counts, Good Friday and Easter Monday do not.
    pytest.param(date(2027, 3, 24), date(2027, 4, 2), id="easter-2027-wednesday"),
    # King's Day 2026 is Monday 27 April: Fri 24 → Tue 28 .. Mon 4 May.
    pytest.param(date(2026, 4, 24), date(2026, 5, 4), id="kings-day-2026-monday"),
    # King's Day 2027 is Tuesday 27 April: Mon 26 → Wed 28 .. Tue 4 May.
    pytest.param(date(2027, 4, 26), date(2027, 5, 4), id="kings-day-2027-tuesday"),
    # King's Day 2025 falls on Saturday 26 April (the 27th is a Sunday): no weekday is lost.
    pytest.param(date(2025, 4, 25), date(2025, 5, 2), id="kings-day-2025-saturday"),
    # Liberation Day is in the package only in lustrum years: Monday 5 May 2025 is skipped.
    pytest.param(date(2025, 4, 30), date(2025, 5, 8), id="liberation-day-2025"),
    # Christmas 2026: Thu 24 Dec; 25 (Fri), 26 (Sat), 27 (Sun) skipped; Mon 28..Thu 31 are four,
    # New Year's Day (Fri 1 Jan) and the weekend skipped: Monday 4 January 2027, a new year.
    pytest.param(date(2026, 12, 24), date(2027, 1, 4), id="christmas-2026-new-year"),
    # A Saturday request: Sunday does not count either; Mon 16..Fri 20 March.
    pytest.param(date(2026, 3, 14), date(2026, 3, 20), id="saturday"),
    # A Saturday before Easter 2026: Mon 30, Tue 31, Wed 1, Thu 2, (Good Friday 3, Easter
    # Monday 6 skipped) Tue 7 April.
    pytest.param(date(2026, 3, 28), date(2026, 4, 7), id="saturday-before-easter-2026"),
    # A Sunday: the same week as the Saturday before it.
    pytest.param(date(2026, 3, 15), date(2026, 3, 20), id="sunday"),
    # A public holiday as request day: it does not count, nor would it as a working day.
    pytest.param(date(2027, 3, 29), date(2027, 4, 5), id="request-on-easter-monday"),
]


@pytest.mark.parametrize(("requested", "expected"), CASES)
def test_expected_by_is_the_fifth_dutch_working_day_after_the_request_day(
    requested: date, expected: date
) -> None:
    # given: a request at noon Amsterdam time on `requested` (11:00 UTC, whatever the season)
    moment = datetime(requested.year, requested.month, requested.day, 11, 0, tzinfo=UTC)
    # when
    result = business_check_expected_by(moment)
    # then
    assert result == expected
    assert add_working_days(requested, 5) == expected
    assert is_working_day(result)


def test_the_holidays_package_lists_the_dutch_days_these_cases_rely_on() -> None:
    # given
    listed = holidays.country_holidays("NL", years=[2025, 2026, 2027])
    # then: the dates the table above skips are the ones the package lists
    for day in (
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday
        date(2025, 4, 26),  # King's Day moved to Saturday, since the 27th is a Sunday
        date(2026, 4, 27),  # King's Day
        date(2027, 4, 27),  # King's Day
        date(2025, 5, 5),  # Liberation Day (a lustrum year)
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 26),  # Second Day of Christmas
        date(2027, 1, 1),  # New Year's Day
    ):
        assert day in listed, day
    assert date(2025, 4, 27) not in listed
    assert date(2026, 5, 5) not in listed


def test_weekends_and_listed_holidays_are_not_working_days() -> None:
    # then
    assert is_working_day(date(2027, 3, 25))  # a Thursday
    assert not is_working_day(date(2027, 3, 26))  # Good Friday
    assert not is_working_day(date(2027, 3, 27))  # Saturday
    assert not is_working_day(date(2027, 3, 28))  # Sunday (also Easter Sunday)
    assert not is_working_day(date(2027, 3, 29))  # Easter Monday


@pytest.mark.parametrize(
    ("moment", "local", "expected"),
    [
        # 23:30 UTC on Wed 24 March 2027 is 00:30 CET on Thursday 25: count from the Thursday.
        pytest.param(
            datetime(2027, 3, 24, 23, 30, tzinfo=UTC),
            date(2027, 3, 25),
            date(2027, 4, 5),
            id="winter-time",
        ),
        # 22:30 UTC on Tue 30 June 2026 is 00:30 CEST on Wednesday 1 July.
        pytest.param(
            datetime(2026, 6, 30, 22, 30, tzinfo=UTC),
            date(2026, 7, 1),
            date(2026, 7, 8),
            id="summer-time",
        ),
        # 22:59 UTC on Wed 24 March 2027 is still 23:59 on the Wednesday.
        pytest.param(
            datetime(2027, 3, 24, 22, 59, tzinfo=UTC),
            date(2027, 3, 24),
            date(2027, 4, 2),
            id="just-before-midnight",
        ),
    ],
)
def test_the_request_day_is_the_date_in_amsterdam_not_in_utc(
    moment: datetime, local: date, expected: date
) -> None:
    # when
    day = local_date(moment)
    result = business_check_expected_by(moment)
    # then
    assert day == local
    assert result == expected
