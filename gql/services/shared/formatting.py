"""Dates, moments and amounts as people in the Netherlands read them (Babel, nl and en).

Times are stored in UTC; people read Europe/Amsterdam with its offset.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_skeleton
from babel.numbers import format_currency

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_LOCALES = {"nl": "nl_NL", "en": "en"}


def local_date(moment: datetime) -> date:
    """The calendar date in Europe/Amsterdam of a UTC moment."""
    return moment.astimezone(AMSTERDAM).date()


# Days a client may name in a filter but no moment we store lies near: a bound beyond them is
# taken as them, so that the first and last days of the calendar (0001-01-01, 9999-12-31)
# neither overflow on the way to UTC nor on the day after.
_EARLIEST_DAY = date(1900, 1, 1)
_LATEST_DAY = date(9000, 1, 1)


def start_of_local_day(day: date) -> datetime:
    """Midnight at the start of `day` in Europe/Amsterdam (days beyond 1900-9000 clamped)."""
    return datetime.combine(min(max(day, _EARLIEST_DAY), _LATEST_DAY), time(0), tzinfo=AMSTERDAM)


def end_of_local_day(day: date) -> datetime:
    """Midnight at the end of `day` in Europe/Amsterdam: the exclusive bound of "until day"."""
    return start_of_local_day(min(day, _LATEST_DAY) + timedelta(days=1))


def format_date(day: date, language: str) -> str:
    """'30 november 2026' in Dutch, 'November 30, 2026' in English."""
    return babel_date(day, format="long", locale=_LOCALES.get(language, "nl_NL"))


def format_month(month: date, language: str) -> str:
    """'oktober 2026' in Dutch, 'October 2026' in English."""
    return format_skeleton("yMMMM", month, locale=_LOCALES.get(language, "nl_NL"))


def format_moment(moment: datetime, language: str) -> str:
    """Amsterdam time with its offset: '30 november 2026 21:15 (+0100)'."""
    local = moment.astimezone(AMSTERDAM)
    return f"{format_date(local.date(), language)} {local:%H:%M} ({local:%z})"


def format_cents(cents: int, language: str) -> str:
    """An amount in euro cents as money: '€ 1.234,56' in Dutch, '€1,234.56' in English."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=_LOCALES.get(language, "nl_NL"))
