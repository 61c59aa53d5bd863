"""Dates, moments and amounts as people in the Netherlands read them (Babel, nl and en).

Times are stored in UTC; people read Europe/Amsterdam with its offset.
"""

from __future__ import annotations

from datetime import date, datetime
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
