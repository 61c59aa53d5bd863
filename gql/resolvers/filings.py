"""Resolvers of the filings domain: file an annual report, list filings, the calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.filings import AnnualReport as AnnualReportRow
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    download_link,
    mutation,
    page_args,
    require_account,
)
from gql.resolvers.node import register_node
from gql.schema.types import filings as t
from gql.schema.types.common import Connection
from gql.schema.types.ids import to_global_id
from gql.services.filings import deadlines, filings
from gql.services.shared.formatting import format_date
from gql.uploads import UploadedFile


def version_type(ctx: Context, view: filings.VersionView) -> t.AnnualReportVersion:
    url, expires = download_link(ctx, view.file_id)
    return t.AnnualReportVersion(
        version=view.version,
        format=t.FilingFormat(view.format),
        size=view.size,
        sha256=view.sha256,
        filed_at=view.filed_at,
        filed_by=view.filed_by_name,
        filed_from=view.filed_from if ctx.caller.is_staff else None,
        download_url=url,
        download_expires_at=expires,
    )


def report_type(ctx: Context, view: filings.ReportView) -> t.AnnualReport:
    return t.AnnualReport(
        id=to_global_id("AnnualReport", view.id),
        kvk_number=view.kvk_number,
        company_name=view.company_name,
        financial_year_end=view.financial_year_end,
        versions=[version_type(ctx, v) for v in view.versions],
    )


async def file_annual_report(
    info: Inf, input: Annotated[t.FileAnnualReportInput, INPUT]
) -> t.FileAnnualReportResult:
    ctx = info.context
    upload = input.document
    receipt = await filings.file_annual_report(
        ctx.deps,
        caller=require_account(info),
        kvk_number=input.kvk_number,
        financial_year_end=input.financial_year_end,
        # Only a file of a multipart request is a document (a JSON string is not).
        document=filings.UploadedDocument(upload.path, upload.size)
        if isinstance(upload, UploadedFile)
        else None,
    )
    message = i18n.text(
        "filing_received",
        ctx.language,
        year_end=format_date(receipt.report.financial_year_end, ctx.language),
        version=receipt.version.version,
    )
    return t.FileAnnualReportPayload(
        report=report_type(ctx, receipt.report),
        version=version_type(ctx, receipt.version),
        message=message,
    )


async def annual_reports(
    info: Inf,
    kvk_number: Annotated[
        str | None,
        strawberry.argument(
            description="A company's KVK number: your own organisation's (the default), or any "
            "company's for staff."
        ),
    ] = None,
    financial_year_end: Annotated[
        date | None, strawberry.argument(description="Only the filing for this year end.")
    ] = None,
    first: Annotated[int | None, FIRST] = 20,
    after: Annotated[str | None, AFTER] = None,
) -> Connection[t.AnnualReport]:
    ctx = info.context
    page = page_args(first, after, ctx.language)
    views = await filings.list_reports(
        ctx.deps,
        caller=require_account(info),
        kvk_number=kvk_number,
        financial_year_end=financial_year_end,
        before_id=page.after_key,
        limit=page.limit + 1,
    )
    return connection(views, page, node=lambda v: report_type(ctx, v), key=lambda v: v.id)


async def annual_report_calendar(
    info: Inf,
    kvk_number: Annotated[
        str | None,
        strawberry.argument(description="Staff: the company; others: their organisation."),
    ] = None,
) -> t.AnnualReportCalendar | None:
    found = await deadlines.calendar(
        info.context.deps, caller=require_account(info), kvk_number=kvk_number
    )
    if found is None:
        return None
    years = [
        t.FilingYear(
            financial_year_end=y.financial_year_end,
            deadline=y.deadline,
            filed_on=y.filed_on,
            status=t.FilingYearStatus(y.status.value),
        )
        for y in found.years
    ]
    return t.AnnualReportCalendar(
        kvk_number=found.kvk_number,
        company_name=found.company_name,
        legal_form=found.legal_form,
        obligation=t.FilingObligation(found.obligation.value),
        registered_on=found.registered_on,
        years=years,
        overdue_years=sum(y.status is t.FilingYearStatus.OVERDUE for y in years),
    )


async def _load_report(ctx: Context, pk: int) -> t.AnnualReport | None:
    view = await filings.get_report(ctx.deps, caller=ctx.caller, report_id=pk)
    return report_type(ctx, view) if view else None


register_node("AnnualReport", table=AnnualReportRow, load=_load_report)


@strawberry.type
class Query:
    annual_reports: Connection[t.AnnualReport] = strawberry.field(
        resolver=annual_reports,
        description="Annual reports filed, newest first: your organisation's (every code of a "
        "business account reads them), or any company's for staff.",
    )
    annual_report_calendar: t.AnnualReportCalendar | None = strawberry.field(
        resolver=annual_report_calendar,
        description="Which financial years your organisation must file, by when, and which "
        "are overdue; null for a company you may not see.",
    )


@strawberry.type
class Mutation:
    file_annual_report: t.FileAnnualReportResult = mutation(
        file_annual_report,
        description="File the annual accounts of your organisation for a financial year "
        "(multipart upload); a second upload for the same year is a correction (a new "
        "version; the earlier ones stay).",
    )
