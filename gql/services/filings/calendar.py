"""The filing deadline calendar: who must file annual accounts, and by when (SPEC §3.5).

Pure rules, no I/O but reading the packaged data file once. Dates are plain dates in
Europe/Amsterdam; the caller converts moments. Which legal forms must file lives in
`gql/data/filing-obligations.json`, with the articles of Boek 2 BW it rests on.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

# art. 2:394 lid 3 BW; the data file states the same number (a test keeps them equal).
DEADLINE_MONTHS = 12


class ObligationStatus(StrEnum):
    MUST_FILE = "MUST_FILE"
    EXEMPT = "EXEMPT"
    # A form the data file does not list, or one whose obligation the form alone does not
    # decide (a stichting or vereniging: art. 2:360 lid 3 BW, see `obligation_rule`).
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class ObligationRule:
    """One legal form of the data file: `status` is MUST_FILE, EXEMPT or CONDITIONAL."""

    form: str
    status: str
    source: str
    condition: str | None
    exception: str | None


def filing_obligation(legal_form: str) -> ObligationStatus:
    """Whether an organisation of this legal form must file its annual accounts.

    Matches the data file's names and aliases regardless of case, accents, dots and spaces.
    A form the file does not list, and a conditional one (stichting, vereniging), is UNKNOWN.
    """
    rule = obligation_rule(legal_form)
    if rule is None or rule.status == "CONDITIONAL":
        return ObligationStatus.UNKNOWN
    return ObligationStatus(rule.status)


def obligation_rule(legal_form: str) -> ObligationRule | None:
    """The data file's entry for this legal form (with its source and condition), if any."""
    return _rules_by_key().get(_key(legal_form))


@dataclass(frozen=True, slots=True)
class FinancialYearEnd:
    """The register's financial year end: a month and a day, e.g. (12, 31) or (6, 30).

    29 February is valid; in a year without one the financial year ends on 28 February.
    A recorded 28 February stays the 28th in a leap year.
    """

    month: int
    day: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.day <= _days_in_month(2024, self.month):
            raise ValueError(f"no such financial year end: month {self.month}, day {self.day}")

    def in_year(self, year: int) -> date:
        """The financial year end that falls in `year`."""
        return date(year, self.month, min(self.day, _days_in_month(year, self.month)))


class YearStatus(StrEnum):
    FILED = "FILED"  # filed on or before the deadline
    FILED_LATE = "FILED_LATE"  # filed, but after the deadline
    OPEN = "OPEN"  # not filed, the deadline is today or ahead
    OVERDUE = "OVERDUE"  # not filed, the deadline has passed


@dataclass(frozen=True, slots=True)
class FilingYear:
    """One ended financial year of an organisation, its deadline and its filing."""

    financial_year_end: date  # the end of that financial year
    deadline: date  # at the latest 12 months after the financial year ends
    filed_on: date | None  # first filing (version 1) for that year, if any
    status: YearStatus


def financial_year_ends(
    registered_on: date, year_end: FinancialYearEnd, *, today: date
) -> list[date]:
    """Every financial year end from the first one on or after registration up to the last
    one on or before `today` (years still running are not listed).

    The first financial year ends on the first year end ON or after the registration day,
    however short that first year is: registered on a year end, that day closes a first
    year of one day. The register does not record the extended first year (up to about 24
    months) that a company's articles may give it, and we do not guess one.
    """
    first = year_end.in_year(registered_on.year)
    year = registered_on.year if first >= registered_on else registered_on.year + 1
    ends = []
    while (end := year_end.in_year(year)) <= today:
        ends.append(end)
        year += 1
    return ends


def deadline_for(financial_year_end: date) -> date:
    """At the latest 12 months after the financial year ends (art. 2:394 BW as the issue states it).

    The same day twelve months on; a year that ends on the last day of its month has its
    deadline on the last day of that month: 29 Feb 2024 → 28 Feb 2025, and 28 Feb 2023 →
    29 Feb 2024 (twelve months after the end of February is the end of February).
    """
    months = financial_year_end.month - 1 + DEADLINE_MONTHS
    year, month = financial_year_end.year + months // 12, months % 12 + 1
    last_day = _days_in_month(year, month)
    if financial_year_end.day == _days_in_month(financial_year_end.year, financial_year_end.month):
        return date(year, month, last_day)
    return date(year, month, min(financial_year_end.day, last_day))


def filing_calendar(
    registered_on: date, year_end: FinancialYearEnd, *, filed: Mapping[date, date], today: date
) -> list[FilingYear]:
    """Per ended financial year since registration: the deadline, whether and when it was
    filed (`filed` maps a year end to the date of its first filing) and its status.

    A year is overdue from the day after its deadline; filed after the deadline it is
    FILED_LATE, not overdue. Filings for a year end that is not in the calendar (another
    year end than the register's) are not shown here.
    """
    return [
        _filing_year(end, filed.get(end), today)
        for end in financial_year_ends(registered_on, year_end, today=today)
    ]


def reminder_due(deadline: date, *, today: date, weeks_before: int) -> bool:
    """Whether a reminder for this deadline is due today or was due and is not yet past the deadline.

    True from `weeks_before` weeks before the deadline up to and including the deadline.
    Ask it only for years not filed; that the reminder goes out once is the caller's.
    """
    if weeks_before < 0:
        raise ValueError(f"weeks_before must not be negative, got {weeks_before}")
    return deadline - timedelta(weeks=weeks_before) <= today <= deadline


def _filing_year(financial_year_end: date, filed_on: date | None, today: date) -> FilingYear:
    deadline = deadline_for(financial_year_end)
    if filed_on is not None:
        status = YearStatus.FILED if filed_on <= deadline else YearStatus.FILED_LATE
    else:
        status = YearStatus.OPEN if today <= deadline else YearStatus.OVERDUE
    return FilingYear(
        financial_year_end=financial_year_end, deadline=deadline, filed_on=filed_on, status=status
    )


def _days_in_month(year: int, month: int) -> int:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - timedelta(days=1)).day


def _key(text: str) -> str:
    """Letters and digits only, without case or accents: 'Coöperatie U.A.' → 'cooperatieua'."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if ch.isalnum())


@cache
def _rules_by_key() -> dict[str, ObligationRule]:
    data: dict[str, Any] = json.loads(
        files("gql")
        .joinpath("data")
        .joinpath("filing-obligations.json")
        .read_text(encoding="utf-8")
    )
    return index_legal_forms(data)


def index_legal_forms(data: Mapping[str, Any]) -> dict[str, ObligationRule]:
    """Every accepted spelling of every legal form of `data` (the data file's shape), keyed.

    Each name or alias, with or without a qualifier ('met gewone structuur') and, for a
    form that has them, a liability suffix ('U.A.') before it. Refuses a file in which two
    forms share a spelling or a status is not one of the three.
    """
    qualifiers = ["", *(_key(q) for q in data["matching"]["qualifiers"]["values"])]
    suffixes = [_key(s) for s in data["matching"]["liability_suffixes"]["values"]]
    keyed: dict[str, ObligationRule] = {}
    for entry in data["legal_forms"]:
        if entry["status"] not in ("MUST_FILE", "EXEMPT", "CONDITIONAL"):
            raise ValueError(f"{entry['form']}: unknown status {entry['status']!r}")
        rule = ObligationRule(
            form=entry["form"],
            status=entry["status"],
            source=entry["source"],
            condition=entry.get("condition"),
            exception=entry.get("exception"),
        )
        names = [_key(name) for name in (entry["form"], *entry["aliases"])]
        endings = ["", *suffixes] if entry["liability_suffixes"] else [""]
        for name in names:
            for ending in endings:
                for qualifier in qualifiers:
                    key = name + ending + qualifier
                    if key in keyed and keyed[key] != rule:
                        raise ValueError(f"{key!r} is both {keyed[key].form} and {rule.form}")
                    keyed[key] = rule
    return keyed
