"""The filing calendar of an organisation, and the reminders the worker sends before deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gql.models.accounts import Account
from gql.models.filings import AnnualReport, AnnualReportVersion, FilingReminder
from gql.models.register import Company
from gql.reader import Read
from gql.services.filings import texts  # noqa: F401  (registers texts and mails)
from gql.services.filings.calendar import (
    FilingYear,
    FinancialYearEnd,
    ObligationStatus,
    filing_calendar,
    filing_obligation,
    reminder_due,
)
from gql.services.filings.filings import organisation_of
from gql.services.shared import outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.formatting import format_date, local_date

_company = Company.__table__  # type: ignore[attr-defined]
_report = AnnualReport.__table__  # type: ignore[attr-defined]
_version = AnnualReportVersion.__table__  # type: ignore[attr-defined]

_COMPANY = Read(
    select(
        _company.c.kvk_number,
        _company.c.name,
        _company.c.legal_form,
        _company.c.registered_on,
        _company.c.financial_year_end,
    ).where(_company.c.kvk_number == bindparam("kvk_number"))
)
# The day each year was first filed (version 1), in one statement.
_FIRST_FILINGS = Read(
    select(_report.c.financial_year_end, func.min(_version.c.filed_at).label("first_filed_at"))
    .join(_version, _version.c.report_id == _report.c.id)
    .where(_report.c.kvk_number == bindparam("kvk_number"))
    .group_by(_report.c.financial_year_end)
)


@dataclass(frozen=True, slots=True)
class Calendar:
    kvk_number: str
    company_name: str
    legal_form: str
    obligation: ObligationStatus
    registered_on: date | None
    years: list[FilingYear]


def year_end_of(raw: str) -> FinancialYearEnd:
    """The register's "MM-DD" as a FinancialYearEnd (the calendar year when unreadable)."""
    try:
        month, day = (int(part) for part in raw.split("-"))
        return FinancialYearEnd(month, day)
    except ValueError:
        return FinancialYearEnd(12, 31)


async def calendar(deps: Deps, *, caller: Caller, kvk_number: str | None) -> Calendar | None:
    """The filing calendar of the caller's organisation (staff: of any company)."""
    own = await organisation_of(deps, caller)
    kvk = own if own is not None else kvk_number
    if kvk is None or (kvk_number is not None and kvk_number != kvk):
        return None
    return await _calendar(deps, kvk, today=local_date(deps.clock.now()))


async def _calendar(deps: Deps, kvk: str, *, today: date) -> Calendar | None:
    company = await deps.db.reader.first(_COMPANY, kvk_number=kvk)
    if company is None:
        return None
    obligation = filing_obligation(company.legal_form)
    years: list[FilingYear] = []
    if obligation == ObligationStatus.MUST_FILE and company.registered_on is not None:
        filed = {
            row.financial_year_end: local_date(row.first_filed_at)
            for row in await deps.db.reader.all(_FIRST_FILINGS, kvk_number=kvk)
        }
        years = filing_calendar(
            company.registered_on,
            year_end_of(company.financial_year_end),
            filed=filed,
            today=today,
        )
    return Calendar(
        kvk_number=kvk,
        company_name=company.name,
        legal_form=company.legal_form,
        obligation=obligation,
        registered_on=company.registered_on,
        years=years,
    )


async def send_due_reminders(deps: Deps, *, now: datetime) -> int:
    """Mail the main user of each organisation that must file, some weeks before a deadline
    of a year not yet filed: exactly once per organisation and year, also with several
    workers (a unique row is claimed in the same transaction as the mail)."""
    today = local_date(now)
    weeks = deps.settings.filing_reminder_weeks
    async with deps.db.read() as session:
        rows = (
            await session.execute(
                select(Company, Account)
                .join(Account, Account.kvk_number == Company.kvk_number)
                .where(
                    Account.is_main_user.is_(True),  # type: ignore[attr-defined]
                    Account.active.is_(True),  # type: ignore[attr-defined]
                    Company.registered_on.is_not(None),  # type: ignore[union-attr]
                )
            )
        ).all()
    sent = 0
    for company, main_user in rows:
        found = await _calendar(deps, company.kvk_number, today=today)
        if found is None or found.obligation != ObligationStatus.MUST_FILE:
            continue
        for year in found.years:
            if year.filed_on is None and reminder_due(
                year.deadline, today=today, weeks_before=weeks
            ):
                sent += await _remind(deps, company, main_user, year, now)
    return sent


async def _remind(
    deps: Deps, company: Company, main_user: Account, year: FilingYear, now: datetime
) -> int:
    values = {
        "kvk_number": company.kvk_number,
        "financial_year_end": year.financial_year_end,
        "account_id": main_user.id,
        "sent_at": now,
    }
    async with deps.db.write() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        claimed = await session.execute(
            insert(FilingReminder)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(FilingReminder.kvk_number)
        )
        if claimed.first() is None:
            return 0  # another worker (or an earlier run) sent it
        await outbox.mail_account(
            session,
            account=main_user,
            template="annual_report_reminder",
            params={
                "company_name": company.name,
                "kvk_number": company.kvk_number,
                "year_end": format_date(year.financial_year_end, main_user.language),
                "deadline": format_date(year.deadline, main_user.language),
            },
            now=now,
            settings=deps.settings,
        )
        await session.commit()
    return 1


REMINDERS_EVERY = timedelta(hours=1)
