"""The filing deadline calendar: who must file annual accounts, and by when (SPEC §3.5)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib.resources import files
from itertools import pairwise
from typing import Any

import pytest

from gql.services.filings.calendar import (
    DEADLINE_MONTHS,
    FilingYear,
    FinancialYearEnd,
    ObligationStatus,
    YearStatus,
    deadline_for,
    filing_calendar,
    filing_obligation,
    financial_year_ends,
    index_legal_forms,
    obligation_rule,
    reminder_due,
)

TODAY = date(2026, 11, 30)
CALENDAR_YEAR = FinancialYearEnd(12, 31)


def data_file() -> dict[str, Any]:
    text = files("gql").joinpath("data").joinpath("filing-obligations.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


# --- legal forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legal_form", "expected"),
    [
        pytest.param("Besloten Vennootschap", ObligationStatus.MUST_FILE, id="bv"),
        pytest.param("Naamloze Vennootschap", ObligationStatus.MUST_FILE, id="nv"),
        pytest.param("Coöperatie", ObligationStatus.MUST_FILE, id="cooperatie"),
        pytest.param("Onderlinge Waarborgmaatschappij", ObligationStatus.MUST_FILE, id="owm"),
        pytest.param("Europese Naamloze Vennootschap (SE)", ObligationStatus.MUST_FILE, id="se"),
        pytest.param(
            "Europese Coöperatieve Vennootschap (SCE)", ObligationStatus.MUST_FILE, id="sce"
        ),
        pytest.param("Eenmanszaak", ObligationStatus.EXEMPT, id="eenmanszaak"),
        pytest.param("Vennootschap onder firma", ObligationStatus.EXEMPT, id="vof"),
        pytest.param("Maatschap", ObligationStatus.EXEMPT, id="maatschap"),
        pytest.param("Commanditaire Vennootschap", ObligationStatus.EXEMPT, id="cv"),
    ],
)
def test_a_legal_form_as_the_register_writes_it_must_file_or_is_exempt(
    legal_form: str, expected: ObligationStatus
) -> None:
    # given a legal form as the register writes it
    # when its obligation is asked
    status = filing_obligation(legal_form)
    # then it is the one of art. 2:360 BW as the data file records it
    assert status is expected


@pytest.mark.parametrize(
    ("legal_form", "expected"),
    [
        pytest.param("B.V.", ObligationStatus.MUST_FILE, id="B.V."),
        pytest.param("BV", ObligationStatus.MUST_FILE, id="BV"),
        pytest.param("b.v.", ObligationStatus.MUST_FILE, id="b.v."),
        pytest.param("B. V.", ObligationStatus.MUST_FILE, id="B. V."),
        pytest.param("besloten vennootschap", ObligationStatus.MUST_FILE, id="lower-case"),
        pytest.param("BESLOTEN VENNOOTSCHAP", ObligationStatus.MUST_FILE, id="upper-case"),
        pytest.param("  Besloten   Vennootschap ", ObligationStatus.MUST_FILE, id="spaces"),
        pytest.param(
            "Besloten vennootschap met beperkte aansprakelijkheid",
            ObligationStatus.MUST_FILE,
            id="bv-full-name",
        ),
        pytest.param(
            "Besloten Vennootschap met gewone structuur",
            ObligationStatus.MUST_FILE,
            id="bv-extended-form",
        ),
        pytest.param(
            "Naamloze Vennootschap blijkens statuten structuurvennootschap",
            ObligationStatus.MUST_FILE,
            id="nv-structure-regime",
        ),
        pytest.param("N.V.", ObligationStatus.MUST_FILE, id="N.V."),
        pytest.param("nv", ObligationStatus.MUST_FILE, id="nv"),
        pytest.param("Coöperatie U.A.", ObligationStatus.MUST_FILE, id="cooperatie-U.A."),
        pytest.param("Coöperatie W.A.", ObligationStatus.MUST_FILE, id="cooperatie-W.A."),
        pytest.param("Coöperatie B.A.", ObligationStatus.MUST_FILE, id="cooperatie-B.A."),
        pytest.param("Cooperatie UA", ObligationStatus.MUST_FILE, id="cooperatie-no-diaeresis"),
        pytest.param(
            "Coöperatie met uitgesloten aansprakelijkheid",
            ObligationStatus.MUST_FILE,
            id="cooperatie-suffix-in-words",
        ),
        pytest.param(
            "Onderlinge Waarborg Maatschappij U.A.", ObligationStatus.MUST_FILE, id="owm-U.A."
        ),
        pytest.param("SE", ObligationStatus.MUST_FILE, id="SE"),
        pytest.param(
            "Europese naamloze vennootschap", ObligationStatus.MUST_FILE, id="se-no-brackets"
        ),
        pytest.param("SCE", ObligationStatus.MUST_FILE, id="SCE"),
        pytest.param("V.O.F.", ObligationStatus.EXEMPT, id="V.O.F."),
        pytest.param("vof", ObligationStatus.EXEMPT, id="vof"),
        pytest.param("C.V.", ObligationStatus.EXEMPT, id="C.V."),
        pytest.param(
            "Commanditaire vennootschap met meer dan één beherende vennoot",
            ObligationStatus.EXEMPT,
            id="cv-extended-form",
        ),
        pytest.param("eenmanszaak", ObligationStatus.EXEMPT, id="eenmanszaak-lower-case"),
    ],
)
def test_abbreviations_case_and_accents_do_not_change_the_obligation(
    legal_form: str, expected: ObligationStatus
) -> None:
    # given a legal form written with an abbreviation, another case, or a liability suffix
    # when its obligation is asked
    status = filing_obligation(legal_form)
    # then it is that of the form it abbreviates
    assert status is expected


@pytest.mark.parametrize(
    "legal_form",
    [
        pytest.param("Stichting", id="stichting"),
        pytest.param("Vereniging", id="vereniging"),
        pytest.param("Vereniging met volledige rechtsbevoegdheid", id="vereniging-full"),
        pytest.param("Vereniging met beperkte rechtsbevoegdheid", id="vereniging-limited"),
    ],
)
def test_a_foundation_or_association_is_unknown_because_only_its_turnover_decides(
    legal_form: str,
) -> None:
    # given a stichting or vereniging, which must file only if it runs enterprises with
    # enough turnover (art. 2:360 lid 3 BW), which its legal form does not show
    # when its obligation is asked
    status = filing_obligation(legal_form)
    rule = obligation_rule(legal_form)
    # then it is neither guessed to file nor to be exempt, and the rule says why
    assert status is ObligationStatus.UNKNOWN
    assert rule is not None
    assert rule.status == "CONDITIONAL"
    assert "2:360 lid 3" in rule.source
    assert rule.condition is not None


@pytest.mark.parametrize(
    "legal_form",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("Kerkgenootschap", id="not-in-the-file"),
        pytest.param("Rederij", id="rederij"),
        pytest.param("Besloten", id="partial-name"),
        pytest.param("Vennootschap", id="ambiguous-word"),
        pytest.param("Beslote Vennootschap", id="misspelt"),
        pytest.param("B.V. i.o.", id="in-formation"),
        pytest.param("Besloten Vennootschap U.A.", id="liability-suffix-on-a-bv"),
        pytest.param("Stichting U.A.", id="liability-suffix-on-a-stichting"),
    ],
)
def test_a_form_the_data_file_does_not_list_is_unknown_rather_than_guessed(
    legal_form: str,
) -> None:
    # given a legal form that is not one of the data file's names or aliases
    # when its obligation is asked
    status = filing_obligation(legal_form)
    # then it is unknown and no rule is found
    assert status is ObligationStatus.UNKNOWN
    assert obligation_rule(legal_form) is None


def test_an_exempt_partnership_names_the_exception_of_art_2_360_lid_2() -> None:
    # given a cv, exempt unless all its fully liable partners are capital companies
    # when its rule is read
    rule = obligation_rule("C.V.")
    # then the exception is named, so a reader sees what the calendar leaves out
    assert rule is not None
    assert rule.form == "Commanditaire Vennootschap"
    assert rule.exception is not None
    assert "2:360 lid 2" in rule.exception


def test_every_form_that_must_file_cites_art_2_360_and_art_2_394() -> None:
    # given the data file
    forms = data_file()["legal_forms"]
    # when the forms that must file (or may have to) are read
    filing = [f for f in forms if f["status"] in ("MUST_FILE", "CONDITIONAL")]
    # then each cites the scope and the filing article
    assert {f["form"] for f in filing} >= {
        "Besloten Vennootschap",
        "Naamloze Vennootschap",
        "Coöperatie",
        "Onderlinge Waarborgmaatschappij",
        "Europese Naamloze Vennootschap (SE)",
        "Europese Coöperatieve Vennootschap (SCE)",
    }
    for form in filing:
        assert "2:360" in form["source"], form["form"]
        assert "2:394" in form["source"], form["form"]


def test_the_data_file_says_what_it_rests_on_and_that_the_legal_team_must_check_it() -> None:
    # given the data file
    data = data_file()
    # when its notes are read
    # then it names its sources, when it was checked, and that it awaits the legal team
    assert "2:360" in data["source"]
    assert "2:394" in data["source"]
    assert date.fromisoformat(data["checked"]["on"]) <= date.today()
    assert "legal team" in data["legal_review"]


def test_the_data_file_states_the_deadline_the_code_applies() -> None:
    # given the data file and the code
    deadline = data_file()["deadline"]
    # when the deadline of each is compared
    # then both say twelve months after the financial year ends (art. 2:394 lid 3 BW)
    assert deadline["months_after_financial_year_end"] == DEADLINE_MONTHS == 12
    assert deadline["article"] == "art. 2:394 lid 3 BW"


def test_a_data_file_in_which_two_forms_share_a_spelling_is_refused() -> None:
    # given a data file in which 'C.V.' is an alias of two forms
    data = data_file()
    data["legal_forms"][0]["aliases"] = [*data["legal_forms"][0]["aliases"], "C.V."]
    # when it is indexed
    # then it is refused instead of one of them winning silently
    with pytest.raises(ValueError, match="cv"):
        index_legal_forms(data)


# --- financial year ends -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "day"),
    [
        pytest.param(6, 31, id="31-june"),
        pytest.param(4, 31, id="31-april"),
        pytest.param(2, 30, id="30-february"),
        pytest.param(13, 1, id="month-13"),
        pytest.param(0, 1, id="month-0"),
        pytest.param(1, 0, id="day-0"),
        pytest.param(1, 32, id="32-january"),
    ],
)
def test_a_financial_year_end_that_no_calendar_has_is_refused(month: int, day: int) -> None:
    # given a month and day that do not exist
    # when a financial year end is made of them
    # then it is refused
    with pytest.raises(ValueError, match="no such financial year end"):
        FinancialYearEnd(month, day)


@pytest.mark.parametrize(
    ("year_end", "year", "expected"),
    [
        pytest.param(FinancialYearEnd(2, 29), 2023, date(2023, 2, 28), id="29-feb-in-2023"),
        pytest.param(FinancialYearEnd(2, 29), 2024, date(2024, 2, 29), id="29-feb-in-2024"),
        pytest.param(FinancialYearEnd(2, 29), 2100, date(2100, 2, 28), id="29-feb-in-2100"),
        pytest.param(FinancialYearEnd(2, 28), 2024, date(2024, 2, 28), id="28-feb-in-2024"),
        pytest.param(FinancialYearEnd(12, 31), 2025, date(2025, 12, 31), id="31-dec"),
    ],
)
def test_a_29_february_year_end_is_28_february_in_a_year_without_one(
    year_end: FinancialYearEnd, year: int, expected: date
) -> None:
    # given a recorded financial year end
    # when it falls in a given year
    # then 29 February becomes the 28th only where there is no 29th; a 28th stays the 28th
    assert year_end.in_year(year) == expected


@pytest.mark.parametrize(
    ("registered_on", "year_end", "today", "expected"),
    [
        pytest.param(
            date(2023, 3, 15),
            CALENDAR_YEAR,
            TODAY,
            [date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31)],
            id="calendar-year-first-year-short",
        ),
        pytest.param(
            date(2023, 3, 15),
            FinancialYearEnd(6, 30),
            TODAY,
            [date(2023, 6, 30), date(2024, 6, 30), date(2025, 6, 30), date(2026, 6, 30)],
            id="30-june-first-year-short",
        ),
        pytest.param(
            date(2024, 5, 1),
            FinancialYearEnd(3, 31),
            TODAY,
            [date(2025, 3, 31), date(2026, 3, 31)],
            id="31-march-first-year-long",
        ),
        pytest.param(
            date(2023, 12, 31),
            CALENDAR_YEAR,
            TODAY,
            [date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31)],
            id="registered-on-a-year-end",
        ),
        pytest.param(
            date(2024, 1, 1),
            CALENDAR_YEAR,
            TODAY,
            [date(2024, 12, 31), date(2025, 12, 31)],
            id="registered-the-day-after-a-year-end",
        ),
        pytest.param(
            date(2023, 12, 30),
            CALENDAR_YEAR,
            date(2025, 12, 31),
            [date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31)],
            id="a-year-ending-today-has-ended",
        ),
        pytest.param(
            date(2023, 12, 30),
            CALENDAR_YEAR,
            date(2025, 12, 30),
            [date(2023, 12, 31), date(2024, 12, 31)],
            id="a-year-ending-tomorrow-is-still-running",
        ),
        pytest.param(date(2026, 1, 5), CALENDAR_YEAR, TODAY, [], id="first-year-still-running"),
        pytest.param(
            date(2023, 1, 10),
            FinancialYearEnd(2, 29),
            date(2025, 3, 1),
            [date(2023, 2, 28), date(2024, 2, 29), date(2025, 2, 28)],
            id="29-february",
        ),
        pytest.param(
            date(2023, 1, 10),
            FinancialYearEnd(2, 28),
            date(2025, 3, 1),
            [date(2023, 2, 28), date(2024, 2, 28), date(2025, 2, 28)],
            id="28-february-in-a-leap-year",
        ),
        pytest.param(
            date(2024, 2, 29),
            FinancialYearEnd(2, 28),
            date(2025, 3, 1),
            [date(2025, 2, 28)],
            id="registered-on-29-feb-after-a-28-feb-year-end",
        ),
    ],
)
def test_the_financial_years_listed_are_those_ended_since_registration(
    registered_on: date, year_end: FinancialYearEnd, today: date, expected: list[date]
) -> None:
    # given a registration day and the register's financial year end
    # when the ended financial years are listed
    ends = financial_year_ends(registered_on, year_end, today=today)
    # then they run from the first year end on or after registration to the last one today
    assert ends == expected


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("financial_year_end", "expected"),
    [
        pytest.param(date(2024, 12, 31), date(2025, 12, 31), id="31-dec"),
        pytest.param(date(2025, 12, 31), date(2026, 12, 31), id="31-dec-into-a-new-year"),
        pytest.param(date(2024, 6, 30), date(2025, 6, 30), id="30-june"),
        pytest.param(date(2025, 3, 31), date(2026, 3, 31), id="31-march"),
        pytest.param(date(2024, 9, 15), date(2025, 9, 15), id="mid-month"),
        pytest.param(date(2024, 2, 29), date(2025, 2, 28), id="29-feb-to-a-year-without"),
        pytest.param(date(2023, 2, 28), date(2024, 2, 29), id="end-of-feb-to-end-of-feb"),
        pytest.param(date(2024, 2, 28), date(2025, 2, 28), id="28-feb-of-a-leap-year"),
        pytest.param(date(2027, 2, 28), date(2028, 2, 29), id="end-of-feb-2027"),
    ],
)
def test_the_deadline_is_twelve_months_after_the_financial_year_ends(
    financial_year_end: date, expected: date
) -> None:
    # given the end of a financial year
    # when its deadline is computed
    deadline = deadline_for(financial_year_end)
    # then it is the same day a year on, and the end of February stays the end of February
    assert deadline == expected


def every_day_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", [2023, 2024, 2027, 2100])
def test_every_deadline_is_in_the_same_month_a_year_later_and_never_more_than_366_days(
    year: int,
) -> None:
    # given every day of a year (around leap years, and 2100, which has no 29 February)
    for financial_year_end in every_day_of(year):
        # when its deadline is computed
        deadline = deadline_for(financial_year_end)
        # then it is in the same month a year later, 365 or 366 days on
        assert (deadline.year, deadline.month) == (year + 1, financial_year_end.month)
        assert (deadline - financial_year_end).days in (365, 366), financial_year_end


@pytest.mark.parametrize(("month", "day"), [(2, 28), (2, 29), (6, 30), (12, 31), (3, 15)])
def test_consecutive_financial_years_are_a_year_apart(month: int, day: int) -> None:
    # given a financial year end and a long registration
    year_end = FinancialYearEnd(month, day)
    # when the ended financial years are listed
    ends = financial_year_ends(date(1995, 7, 1), year_end, today=TODAY)
    # then each follows the previous one by one year, on the recorded day where it exists
    assert [end.year for end in ends] == list(range(ends[0].year, ends[0].year + len(ends)))
    assert all((b - a).days in (365, 366) for a, b in pairwise(ends))
    assert all(end == year_end.in_year(end.year) for end in ends)


# --- the calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_on", "today", "expected"),
    [
        pytest.param(date(2025, 6, 1), TODAY, YearStatus.FILED, id="filed-on-time"),
        pytest.param(date(2025, 12, 31), TODAY, YearStatus.FILED, id="filed-on-the-deadline"),
        pytest.param(date(2026, 1, 1), TODAY, YearStatus.FILED_LATE, id="filed-a-day-late"),
        pytest.param(None, date(2025, 12, 30), YearStatus.OPEN, id="none-deadline-ahead"),
        pytest.param(None, date(2025, 12, 31), YearStatus.OPEN, id="none-today-the-deadline"),
        pytest.param(None, date(2026, 1, 1), YearStatus.OVERDUE, id="none-a-day-after"),
    ],
)
def test_a_year_is_overdue_only_from_the_day_after_its_deadline_and_only_if_not_filed(
    filed_on: date | None, today: date, expected: YearStatus
) -> None:
    # given the financial year 2024 (deadline 31 December 2025), filed or not
    filed = {date(2024, 12, 31): filed_on} if filed_on else {}
    # when the calendar is made
    years = filing_calendar(date(2024, 1, 1), CALENDAR_YEAR, filed=filed, today=today)
    # then that year's status follows from the filing and the day
    assert years[0] == FilingYear(
        financial_year_end=date(2024, 12, 31),
        deadline=date(2025, 12, 31),
        filed_on=filed_on,
        status=expected,
    )


def test_the_calendar_lists_every_ended_year_with_its_deadline_and_filing() -> None:
    # given a company registered in May 2022 with a 30 June year end, which filed its
    # first year on time, its second late and none since
    filed = {date(2022, 6, 30): date(2023, 5, 1), date(2023, 6, 30): date(2024, 8, 1)}
    # when its calendar is made on 30 November 2026
    years = filing_calendar(date(2022, 5, 10), FinancialYearEnd(6, 30), filed=filed, today=TODAY)
    # then each ended year is there, the running one (to 30 June 2027) is not
    assert years == [
        FilingYear(date(2022, 6, 30), date(2023, 6, 30), date(2023, 5, 1), YearStatus.FILED),
        FilingYear(date(2023, 6, 30), date(2024, 6, 30), date(2024, 8, 1), YearStatus.FILED_LATE),
        FilingYear(date(2024, 6, 30), date(2025, 6, 30), None, YearStatus.OVERDUE),
        FilingYear(date(2025, 6, 30), date(2026, 6, 30), None, YearStatus.OVERDUE),
        FilingYear(date(2026, 6, 30), date(2027, 6, 30), None, YearStatus.OPEN),
    ]


def test_a_29_february_year_has_its_deadline_on_28_february() -> None:
    # given a 29 February year end, not filed
    # when the calendar is made on 28 February 2025 and on the day after
    on_deadline = filing_calendar(
        date(2024, 1, 2), FinancialYearEnd(2, 29), filed={}, today=date(2025, 2, 28)
    )
    after = filing_calendar(
        date(2024, 1, 2), FinancialYearEnd(2, 29), filed={}, today=date(2025, 3, 1)
    )
    # then the year to 29 February 2024 is open on the 28th and overdue on 1 March
    assert on_deadline[0].deadline == date(2025, 2, 28)
    assert on_deadline[0].status is YearStatus.OPEN
    assert after[0].status is YearStatus.OVERDUE


def test_a_filing_for_a_year_end_the_calendar_does_not_have_is_left_out() -> None:
    # given a filing for 30 June 2024 while the register records a 31 December year end
    filed = {date(2024, 6, 30): date(2024, 9, 1)}
    # when the calendar is made
    years = filing_calendar(date(2024, 1, 1), CALENDAR_YEAR, filed=filed, today=TODAY)
    # then the calendar's year is not counted as filed by it
    assert [(y.financial_year_end, y.filed_on) for y in years] == [
        (date(2024, 12, 31), None),
        (date(2025, 12, 31), None),
    ]


def test_a_company_registered_today_has_no_years_yet() -> None:
    # given a company registered today, mid-year
    # when its calendar is made
    years = filing_calendar(TODAY, CALENDAR_YEAR, filed={}, today=TODAY)
    # then there is nothing to file yet
    assert years == []


# --- reminders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "weeks_before", "expected"),
    [
        pytest.param(date(2025, 11, 18), 6, False, id="a-day-before-the-window"),
        pytest.param(date(2025, 11, 19), 6, True, id="first-day-of-the-window"),
        pytest.param(date(2025, 12, 10), 6, True, id="inside-the-window"),
        pytest.param(date(2025, 12, 31), 6, True, id="on-the-deadline"),
        pytest.param(date(2026, 1, 1), 6, False, id="the-day-after-the-deadline"),
        pytest.param(date(2025, 12, 30), 0, False, id="zero-weeks-the-day-before"),
        pytest.param(date(2025, 12, 31), 0, True, id="zero-weeks-on-the-deadline"),
    ],
)
def test_a_reminder_is_due_from_weeks_before_the_deadline_up_to_and_including_it(
    today: date, weeks_before: int, expected: bool
) -> None:
    # given the deadline 31 December 2025
    deadline = date(2025, 12, 31)
    # when asked whether a reminder is due
    due = reminder_due(deadline, today=today, weeks_before=weeks_before)
    # then it is, exactly inside the window
    assert due is expected


def test_a_reminder_window_of_negative_weeks_is_refused() -> None:
    # given a negative number of weeks
    # when asked whether a reminder is due
    # then it is refused rather than never due
    with pytest.raises(ValueError, match="weeks_before"):
        reminder_due(date(2025, 12, 31), today=date(2025, 12, 31), weeks_before=-1)
