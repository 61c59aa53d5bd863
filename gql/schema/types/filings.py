"""Types of the filings domain: annual reports, their versions and the deadline calendar."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.services.filings import filings


@strawberry.enum(description="What was filed, as its content showed (never its name).")
class FilingFormat(Enum):
    PDF = strawberry.enum_value("PDF", description="A PDF document.")
    XBRL = strawberry.enum_value("XBRL", description="An XBRL instance.")
    ZIP = strawberry.enum_value(
        "ZIP", description="A ZIP holding one XBRL instance and optionally a PDF."
    )


@strawberry.type(description="A file of a filing: one upload, never changed or removed.")
class AnnualReportVersion:
    version: int = strawberry.field(description="1 for the first filing, then each correction.")
    format: FilingFormat = strawberry.field(description="PDF, XBRL or ZIP.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(
        description="SHA-256 of the file as stored (hex): compare it with the file you sent."
    )
    filed_at: datetime = strawberry.field(description="When it was received.")
    filed_by: str = strawberry.field(description="The name of the code that filed it.")
    filed_from: str | None = strawberry.field(
        description="Staff only: the network it was sent from (IPv4 /24, IPv6 /48)."
    )
    download_url: str = strawberry.field(
        description="Where to download it: with the session cookie in a browser; for "
        "bearer-token clients a signed link that works for a few minutes."
    )
    download_expires_at: datetime | None = strawberry.field(
        description="When a signed download link stops working (null for cookie sessions)."
    )


@strawberry.type(description="The annual report of a company for one financial year.")
class AnnualReport(Node):
    kvk_number: str = strawberry.field(description="The company's KVK number.")
    company_name: str = strawberry.field(description="The company's name in the register.")
    financial_year_end: date = strawberry.field(
        description="The last day of the financial year (Europe/Amsterdam)."
    )
    versions: list[AnnualReportVersion] = strawberry.field(
        description="Every version filed, oldest first; the last is the one that counts."
    )


@strawberry.input(description="File (or correct) the annual accounts of your organisation.")
class FileAnnualReportInput:
    kvk_number: str = strawberry.field(description="Your organisation's KVK number.")
    financial_year_end: date = strawberry.field(
        description="The last day of the financial year the accounts are about."
    )
    document: Upload = strawberry.field(
        description="The file, sent as a multipart request (GraphQL multipart request spec): "
        "a PDF, an XBRL instance, or a ZIP with one XBRL instance and optionally a PDF."
    )


@strawberry.type(description="Filed: the receipt, also sent by e-mail.")
class FileAnnualReportPayload:
    report: AnnualReport = strawberry.field(description="The filing, with the new version.")
    version: AnnualReportVersion = strawberry.field(description="The version just filed.")
    message: str = strawberry.field(description="Confirmation for people to read.")


FileAnnualReportResult = result_union(
    "fileAnnualReport", FileAnnualReportPayload, filings.file_annual_report
)


@strawberry.enum(description="Whether the legal form must file annual accounts.")
class FilingObligation(Enum):
    MUST_FILE = strawberry.enum_value("MUST_FILE", description="It must file (Book 2 BW).")
    EXEMPT = strawberry.enum_value("EXEMPT", description="Its legal form does not file.")
    UNKNOWN = strawberry.enum_value(
        "UNKNOWN", description="The register's legal form is not in our list: ask us."
    )


@strawberry.enum(description="Where the annual accounts of one financial year stand.")
class FilingYearStatus(Enum):
    FILED = strawberry.enum_value("FILED", description="Filed on time.")
    FILED_LATE = strawberry.enum_value("FILED_LATE", description="Filed after the deadline.")
    OPEN = strawberry.enum_value("OPEN", description="Not filed; the deadline is ahead.")
    OVERDUE = strawberry.enum_value("OVERDUE", description="Not filed; the deadline passed.")


@strawberry.type(description="One ended financial year in the filing calendar.")
class FilingYear:
    financial_year_end: date = strawberry.field(description="The last day of the year.")
    deadline: date = strawberry.field(
        description="The last day to file: at the latest 12 months after the year ends."
    )
    filed_on: date | None = strawberry.field(description="When it was first filed, if it was.")
    status: FilingYearStatus = strawberry.field(description="Filed, open or overdue.")


@strawberry.type(description="When an organisation must file its annual accounts.")
class AnnualReportCalendar:
    kvk_number: str = strawberry.field(description="The company's KVK number.")
    company_name: str = strawberry.field(description="The company's name.")
    legal_form: str = strawberry.field(description="Its legal form in the register.")
    obligation: FilingObligation = strawberry.field(
        description="Whether that legal form must file."
    )
    registered_on: date | None = strawberry.field(description="When it was registered.")
    years: list[FilingYear] = strawberry.field(
        description="Every ended financial year since registration, oldest first."
    )
    overdue_years: int = strawberry.field(description="How many years are overdue.")
