"""Filing annual reports: one filing per company and financial year, corrections as versions.

Every code of an organisation files and reads the organisation's annual reports (SPEC §2);
another organisation's filings answer exactly like missing ones. The file is checked by its
content (gql/services/filings/inspection.py) before anything is stored, then stored in the
file store in the same transaction as its version, and a receipt is e-mailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from gql.files import store
from gql.files.access import Downloader, register_owner
from gql.models.accounts import Account, Usage
from gql.models.filings import AnnualReport, AnnualReportVersion, FilingFormat
from gql.models.register import Company
from gql.reader import Read
from gql.services import register
from gql.services.accounts.sessions import client_network
from gql.services.filings import texts  # noqa: F401  (registers texts and mails)
from gql.services.filings.inspection import (
    InspectedDocument,
    InvalidXbrlError,
    UnsafeDocumentError,
    UnsupportedDocumentError,
    XbrlMismatchError,
    inspect_document,
)
from gql.services.shared import outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import format_date, format_moment, local_date
from gql.services.shared.validation import kvk_number_field

OWNER_KIND = "annual_report"
_EXTENSION = {FilingFormat.PDF: "pdf", FilingFormat.XBRL: "xbrl", FilingFormat.ZIP: "zip"}


@dataclass(frozen=True, slots=True)
class UploadedDocument:
    """The uploaded file, spooled to a private temporary file for this request."""

    path: Path
    size: int


@dataclass(frozen=True, slots=True)
class VersionView:
    id: int
    report_id: int
    version: int
    format: FilingFormat
    size: int
    sha256: str
    filed_at: datetime
    filed_by_name: str
    filed_from: str
    file_id: int


@dataclass(frozen=True, slots=True)
class ReportView:
    id: int
    kvk_number: str
    company_name: str
    financial_year_end: date
    versions: list[VersionView]


@dataclass(frozen=True, slots=True)
class FilingReceipt:
    report: ReportView
    version: VersionView


async def _filer(deps: Deps, caller: Caller) -> Account:
    """The signed-in business account that files; private and staff accounts cannot."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
    if account is None or not account.active:
        raise UnauthenticatedError()
    if account.usage != Usage.BUSINESS:
        raise ForbiddenError()
    return account


@raises(
    InvalidInputError,
    NotFoundError,
    UnsupportedDocumentError,
    UnsafeDocumentError,
    InvalidXbrlError,
    XbrlMismatchError,
)
async def file_annual_report(
    deps: Deps,
    *,
    caller: Caller,
    kvk_number: str,
    financial_year_end: date,
    document: UploadedDocument | None,
) -> FilingReceipt:
    """File (or correct) the annual report of the caller's own organisation for a year."""
    account = await _filer(deps, caller)
    now = deps.clock.now()
    problems = Problems()
    kvk = kvk_number_field(problems, "kvkNumber", kvk_number)
    if financial_year_end > local_date(now):
        problems.add("financialYearEnd", "financial_year_not_ended")
    if document is None:
        problems.add("document", "document_required")
    elif document.size == 0:
        problems.add("document", "document_empty")
    problems.raise_if_any()
    assert document is not None
    # Another organisation's KVK number answers like an unknown one.
    if kvk != account.kvk_number:
        raise NotFoundError(field_path=("kvkNumber",))
    inspected: InspectedDocument = await anyio.to_thread.run_sync(
        lambda: inspect_document(
            document.path, kvk_number=kvk, financial_year_end=financial_year_end
        )
    )
    fmt = FilingFormat(inspected.format.value)
    for _attempt in range(3):
        try:
            return await _store(
                deps, account, caller, kvk, financial_year_end, document, fmt, inspected, now
            )
        except IntegrityError:
            # Two first filings of one year at once: the loser's retry finds the winner's.
            continue
    raise RuntimeError("filing kept conflicting")


async def _store(
    deps: Deps,
    account: Account,
    caller: Caller,
    kvk: str,
    year_end: date,
    document: UploadedDocument,
    fmt: FilingFormat,
    inspected: InspectedDocument,
    now: datetime,
) -> FilingReceipt:
    async with deps.db.write() as session:
        company = await register.get_company(session, kvk, lock=True)
        if company is None:
            raise NotFoundError(field_path=("kvkNumber",))
        report = (
            await session.execute(
                select(AnnualReport).where(
                    AnnualReport.kvk_number == kvk, AnnualReport.financial_year_end == year_end
                )
            )
        ).scalar_one_or_none()
        if report is None:
            report = AnnualReport(kvk_number=kvk, financial_year_end=year_end, created_at=now)
            session.add(report)
            await session.flush()
        assert report.id is not None
        latest = await session.scalar(
            select(func.max(AnnualReportVersion.version)).where(
                AnnualReportVersion.report_id == report.id
            )
        )
        number = int(latest or 0) + 1
        name = f"jaarrekening-{kvk}-{year_end.isoformat()}-v{number}.{_EXTENSION[fmt]}"
        with document.path.open("rb") as source:
            stored = await store.put(
                session,
                source,
                content_type=inspected.content_type,
                filename=name,
                owner_kind=OWNER_KIND,
                now=now,
            )
        version = AnnualReportVersion(
            report_id=report.id,
            version=number,
            file_id=stored.id,
            format=fmt,
            size=stored.size,
            sha256=stored.sha256,
            filed_by_id=account.id,
            filed_at=now,
            filed_from=client_network(caller.client_ip),
        )
        session.add(version)
        await session.flush()
        await outbox.mail_account(
            session,
            account=account,
            template="annual_report_receipt",
            params={
                "company_name": company.name,
                "kvk_number": kvk,
                "year_end": format_date(year_end, account.language),
                "version": number,
                "format": fmt.value,
                "size": f"{stored.size:,}".replace(",", "."),
                "sha256": stored.sha256,
                "filed_at": format_moment(now, account.language),
            },
            now=now,
            settings=deps.settings,
        )
        await session.commit()
    assert version.id is not None
    view = VersionView(
        id=version.id,
        report_id=report.id,
        version=number,
        format=fmt,
        size=stored.size,
        sha256=stored.sha256,
        filed_at=now,
        filed_by_name=account.name,
        filed_from=version.filed_from,
        file_id=stored.id,
    )
    return FilingReceipt(
        ReportView(report.id, kvk, company.name, year_end, [view]),
        view,
    )


# ---- reading ------------------------------------------------------------------------------

_report = AnnualReport.__table__  # type: ignore[attr-defined]
_version = AnnualReportVersion.__table__  # type: ignore[attr-defined]
_company = Company.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]

_REPORT_COLUMNS = select(
    _report.c.id,
    _report.c.kvk_number,
    _company.c.name.label("company_name"),
    _report.c.financial_year_end,
).join(_company, _company.c.kvk_number == _report.c.kvk_number)


def _page(*, kvk: bool, year: bool, after: bool) -> Read:
    conditions = []
    if kvk:
        conditions.append(_report.c.kvk_number == bindparam("kvk_number"))
    if year:
        conditions.append(_report.c.financial_year_end == bindparam("year_end"))
    if after:
        conditions.append(_report.c.id < bindparam("before_id"))
    return Read(
        _REPORT_COLUMNS.where(*conditions).order_by(_report.c.id.desc()).limit(bindparam("limit"))
    )


# Newest first; one statement for the page, one for all its versions.
_PAGES = {
    (k, y, a): _page(kvk=k, year=y, after=a)
    for k in (False, True)
    for y in (False, True)
    for a in (False, True)
}
_ONE = Read(_REPORT_COLUMNS.where(_report.c.id == bindparam("report_id")))
_VERSIONS = Read(
    select(
        _version.c.id,
        _version.c.report_id,
        _version.c.version,
        _version.c.format,
        _version.c.size,
        _version.c.sha256,
        _version.c.filed_at,
        _account.c.name.label("filed_by_name"),
        _version.c.filed_from,
        _version.c.file_id,
    )
    .join(_account, _account.c.id == _version.c.filed_by_id)
    .where(_version.c.report_id.in_(bindparam("report_ids", expanding=True)))
    .order_by(_version.c.report_id, _version.c.version)
)
_FILE_OWNER = Read(
    select(_report.c.kvk_number)
    .join(_version, _version.c.report_id == _report.c.id)
    .where(_version.c.file_id == bindparam("file_id"))
)
_ACCOUNT_ORGANISATION = Read(
    select(_account.c.kvk_number, _account.c.usage).where(
        _account.c.id == bindparam("account_id"), _account.c.active.is_(True)
    )
)


async def _with_versions(deps: Deps, rows: list[Any]) -> list[ReportView]:
    if not rows:
        return []
    versions = await deps.db.reader.all(_VERSIONS, report_ids=[r.id for r in rows])
    by_report: dict[int, list[VersionView]] = {}
    for v in versions:
        by_report.setdefault(v.report_id, []).append(VersionView(**v._asdict()))
    return [
        ReportView(
            r.id, r.kvk_number, r.company_name, r.financial_year_end, by_report.get(r.id, [])
        )
        for r in rows
    ]


async def organisation_of(deps: Deps, caller: Caller) -> str | None:
    """The KVK number whose filings the caller may read (None: every company, for staff)."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    if caller.is_staff:
        return None
    row = await deps.db.reader.first(_ACCOUNT_ORGANISATION, account_id=caller.account_id)
    if row is None or row.usage != Usage.BUSINESS or row.kvk_number is None:
        raise ForbiddenError()
    return str(row.kvk_number)


async def list_reports(
    deps: Deps,
    *,
    caller: Caller,
    kvk_number: str | None,
    financial_year_end: date | None,
    before_id: int | None,
    limit: int,
) -> list[ReportView]:
    """Filings newest first: the caller's organisation's, or any company's for staff."""
    own = await organisation_of(deps, caller)
    if own is not None:
        if kvk_number is not None and kvk_number != own:
            return []  # another organisation's filings: as if there were none
        kvk_number = own
    read = _PAGES[(kvk_number is not None, financial_year_end is not None, before_id is not None)]
    rows = await deps.db.reader.all(
        read,
        kvk_number=kvk_number,
        year_end=financial_year_end,
        before_id=before_id,
        limit=limit,
    )
    return await _with_versions(deps, rows)


async def get_report(deps: Deps, *, caller: Caller, report_id: int) -> ReportView | None:
    """One filing, if the caller may read it (else None, as for an unknown id)."""
    try:
        own = await organisation_of(deps, caller)
    except (UnauthenticatedError, ForbiddenError):
        return None
    row = await deps.db.reader.first(_ONE, report_id=report_id)
    if row is None or (own is not None and row.kvk_number != own):
        return None
    [view] = await _with_versions(deps, [row])
    return view


async def _may_download(deps: Deps, downloader: Downloader, file_id: int) -> bool:
    """Every code of the filing organisation, and staff."""
    owner = await deps.db.reader.first(_FILE_OWNER, file_id=file_id)
    if owner is None:
        return False
    if downloader.is_staff:
        return True
    row = await deps.db.reader.first(_ACCOUNT_ORGANISATION, account_id=downloader.account_id)
    return row is not None and row.usage == Usage.BUSINESS and row.kvk_number == owner.kvk_number


register_owner(OWNER_KIND, _may_download)
