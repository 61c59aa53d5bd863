"""Annual reports filed with the register: one per company and financial year, in versions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class FilingFormat(StrEnum):
    """What was filed, as its content showed (never its name)."""

    PDF = "PDF"
    XBRL = "XBRL"
    ZIP = "ZIP"


class AnnualReport(SQLModel, table=True):
    """The filing of one company for one financial year; its versions hold the files."""

    __tablename__ = "annual_report"
    __table_args__ = (
        UniqueConstraint("kvk_number", "financial_year_end", name="uq_annual_report_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kvk_number: str = Field(foreign_key="company.kvk_number", max_length=8, index=True)
    financial_year_end: date
    created_at: datetime = utc_field()


class AnnualReportVersion(SQLModel, table=True):
    """One upload for a filing: version 1, then corrections; never changed or removed."""

    __tablename__ = "annual_report_version"
    __table_args__ = (
        UniqueConstraint("report_id", "version", name="uq_annual_report_version"),
        one_of("format", FilingFormat, name="format_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="annual_report.id", index=True)
    version: int
    file_id: int = Field(foreign_key="stored_file.id")
    format: FilingFormat = text_enum_field(FilingFormat, max_length=10)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    filed_by_id: int = Field(foreign_key="account.id")
    filed_at: datetime = utc_field()
    # Only the client's network, as for sessions.
    filed_from: str = Field(default="", max_length=45)


class FilingReminder(SQLModel, table=True):
    """A deadline reminder that was sent: one per company and financial year, ever."""

    __tablename__ = "filing_reminder"

    kvk_number: str = Field(foreign_key="company.kvk_number", primary_key=True, max_length=8)
    financial_year_end: date = Field(primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    sent_at: datetime = utc_field()
