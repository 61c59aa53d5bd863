"""The balance statement ("saldo-overzicht") of a private account for one calendar month.

Beyond the peers, which offer none: the ledger of one month in Europe/Amsterdam, with the
opening balance (every entry before the month), each entry with the balance after it, and
the closing balance; as a PDF and a CSV file besides the GraphQL field.

The files are made on request and not stored. The ledger is append-only and an entry's
moment never changes, so a month that is over always gives the same statement, byte for
byte (the PDF's date is the month's end): storing a copy would only duplicate the ledger,
need a table and a job, and still leave the running month to be made on request. Making one
costs two statements and a page of fpdf2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.dates import format_date as babel_date
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.documents import statement as document
from gql.i18n import texts
from gql.models.accounts import Account, Usage
from gql.models.ledger import EntryKind, LedgerEntry
from gql.services.accounts import access_codes
from gql.services.ledger import balance
from gql.services.ledger.refunds import private_account
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidInputError, Problems, raises
from gql.services.shared.formatting import AMSTERDAM

TEXTS = texts(
    __name__,
    {
        "statement_month_format": {
            "nl": "Geef een maand als JJJJ-MM, zoals 2026-03 (vanaf {first_year}).",
            "en": "Give a month as YYYY-MM, such as 2026-03 (from {first_year} on).",
        },
        "statement_month_in_future": {
            "nl": "Deze maand is nog niet begonnen: er is nog geen overzicht van.",
            "en": "This month has not begun yet: there is no statement of it.",
        },
    },
)

STATEMENT_ROUTE = "/saldo/overzicht/{file}"
FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
FIRST_YEAR = 2000
# An entry carries the moment its use case began: a write that began just before a month's
# end commits just after it. A month counts as over (its statement final) a while later.
SETTLED_AFTER = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class StatementLine:
    id: int
    at: datetime
    kind: EntryKind
    amount_cents: int
    held_delta_cents: int
    #: The balance and the held amount after this entry.
    balance_cents: int
    held_cents: int


@dataclass(frozen=True, slots=True)
class Statement:
    account_id: int
    account_name: str
    access_code: str
    month: str  # YYYY-MM
    starts_at: datetime
    #: The start of the next month; while the month runs, the moment the statement was made.
    ends_at: datetime
    #: The month is over (and settled): the statement never changes any more.
    complete: bool
    opening_cents: int
    opening_held_cents: int
    closing_cents: int
    closing_held_cents: int
    lines: list[StatementLine]


def month_bounds(value: str) -> tuple[datetime, datetime] | None:
    """The UTC start of a month "YYYY-MM" in Europe/Amsterdam and that of the next month."""
    match = _MONTH.fullmatch(value.strip())
    if match is None or int(match.group(1)) < FIRST_YEAR:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=AMSTERDAM)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=AMSTERDAM)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_field(
    problems: Problems, field: str, value: str, *, now: datetime
) -> tuple[datetime, datetime] | None:
    """A month that has begun (Europe/Amsterdam), as "YYYY-MM"."""
    bounds = month_bounds(value)
    if bounds is None:
        problems.add(field, "statement_month_format", first_year=FIRST_YEAR)
    elif bounds[0] > now:
        problems.add(field, "statement_month_in_future")
    return bounds


@raises(InvalidInputError)
async def balance_statement(deps: Deps, *, caller: Caller, month: str) -> Statement:
    """The statement of the caller's balance for a month (private accounts)."""
    account = await private_account(deps, caller)
    now = deps.clock.now()
    problems = Problems()
    bounds = month_field(problems, "month", month, now=now)
    problems.raise_if_any()
    assert bounds is not None
    return await _statement(deps, account, month.strip(), bounds, now)


async def statement_file(
    deps: Deps, *, account_id: int, month: str, file_format: str, language: str
) -> tuple[bytes, str] | None:
    """The statement as a file (its bytes and its name) for the download route; None, as
    for a missing file, unless the account is an active private one and the month began."""
    now = deps.clock.now()
    bounds = month_bounds(month)
    if bounds is None or bounds[0] > now or file_format not in FORMATS:
        return None
    async with deps.db.read() as session:
        account = await session.get(Account, account_id)
    if account is None or not account.active or account.usage != Usage.PRIVATE:
        return None
    made = await _statement(deps, account, month, bounds, now)
    doc = to_document(made, language)
    if file_format == "pdf":
        return document.statement_pdf(doc), document.file_name(doc, ".pdf")
    return document.statement_csv(doc), document.file_name(doc, ".csv")


def statement_path(month: str, file_format: str) -> str:
    return STATEMENT_ROUTE.format(file=f"{month}.{file_format}")


async def _statement(
    deps: Deps, account: Account, month: str, bounds: tuple[datetime, datetime], now: datetime
) -> Statement:
    start, end = bounds
    complete = now >= end + SETTLED_AFTER
    assert account.id is not None
    async with deps.db.read() as session:
        opening, opening_held = await _sums_before(session, account.id, start)
        rows = (
            await session.execute(
                select(
                    LedgerEntry.id,
                    LedgerEntry.kind,
                    LedgerEntry.amount_cents,
                    LedgerEntry.held_delta_cents,
                    LedgerEntry.created_at,
                )
                .where(
                    LedgerEntry.account_id == account.id,
                    LedgerEntry.created_at >= start,
                    LedgerEntry.created_at < end,
                )
                .order_by(LedgerEntry.created_at, LedgerEntry.id)
            )
        ).all()
    lines = []
    running, held = opening, opening_held
    for row in rows:
        running += row.amount_cents
        held += row.held_delta_cents
        lines.append(
            StatementLine(
                id=row.id,
                at=row.created_at,
                kind=EntryKind(row.kind),
                amount_cents=row.amount_cents,
                held_delta_cents=row.held_delta_cents,
                balance_cents=running,
                held_cents=held,
            )
        )
    return Statement(
        account_id=account.id,
        account_name=account.name,
        access_code=access_codes.display(account.access_code),
        month=month,
        starts_at=start,
        ends_at=min(end, now),
        complete=complete,
        opening_cents=opening,
        opening_held_cents=opening_held,
        closing_cents=running,
        closing_held_cents=held,
        lines=lines,
    )


async def _sums_before(session: AsyncSession, account_id: int, moment: datetime) -> tuple[int, int]:
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(LedgerEntry.amount_cents), 0),
                func.coalesce(func.sum(LedgerEntry.held_delta_cents), 0),
            ).where(LedgerEntry.account_id == account_id, LedgerEntry.created_at < moment)
        )
    ).one()
    return int(row[0]), int(row[1])


def month_label(statement: Statement, language: str) -> str:
    """'maart 2026', 'March 2026' (Babel)."""
    first = statement.starts_at.astimezone(AMSTERDAM).date()
    return babel_date(first, format="MMMM y", locale="nl_NL" if language == "nl" else "en")


def to_document(statement: Statement, language: str) -> document.StatementDocument:
    """What the PDF and CSV are made of: plain data, the entries described for people."""
    return document.StatementDocument(
        language=language,
        account_name=statement.account_name,
        access_code=statement.access_code,
        month=statement.month,
        month_label=month_label(statement, language),
        starts_at=statement.starts_at,
        ends_at=statement.ends_at,
        complete=statement.complete,
        opening_cents=statement.opening_cents,
        opening_held_cents=statement.opening_held_cents,
        closing_cents=statement.closing_cents,
        closing_held_cents=statement.closing_held_cents,
        lines=[
            document.StatementLine(
                at=line.at,
                kind=line.kind.value,
                description=balance.describe(line.kind, language),
                amount_cents=line.amount_cents,
                held_delta_cents=line.held_delta_cents,
                balance_cents=line.balance_cents,
                held_cents=line.held_cents,
            )
            for line in statement.lines
        ],
    )
