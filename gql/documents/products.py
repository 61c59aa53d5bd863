"""What a product document is made of: the product codes, the company as the register
showed it, the filed annual report, and the file that comes out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

Language = Literal["nl", "en"]

PDF = "application/pdf"
#: The media types a filed annual report is stored under (gql.services.filings.inspection).
FILED_MEDIA_TYPES = frozenset({PDF, "application/xml", "application/zip"})


class ProductCode(StrEnum):
    """The register products (SPEC §3.2), by the code the catalogue and the API use."""

    EXTRACT = "EXTRACT"  # Uittreksel Handelsregister
    COMPANY_PROFILE = "COMPANY_PROFILE"  # Bedrijfsprofiel
    FILED_DOCUMENT = "FILED_DOCUMENT"  # Gedeponeerd stuk
    FILED_DOCUMENT_CERTIFIED = "FILED_DOCUMENT_CERTIFIED"  # Gedeponeerd stuk, gewaarmerkt
    ANNUAL_ACCOUNTS = "ANNUAL_ACCOUNTS"  # Jaarrekening
    ANNUAL_ACCOUNTS_CERTIFIED = "ANNUAL_ACCOUNTS_CERTIFIED"  # Jaarrekening, gewaarmerkt
    ANNUAL_ACCOUNTS_XBRL = "ANNUAL_ACCOUNTS_XBRL"  # Jaarrekening in XBRL: the filed file
    CERTIFIED_EXTRACT_DIGITAL = "CERTIFIED_EXTRACT_DIGITAL"  # Digitaal gewaarmerkt uittreksel

    @property
    def needs_filed_report(self) -> bool:
        """Made from a filed annual report: the order names its financial year end."""
        return self in _ABOUT_FILED_REPORT

    @property
    def certified(self) -> bool:
        """Carries the register's statement that it is a true copy (gewaarmerkt)."""
        return self in (
            ProductCode.FILED_DOCUMENT_CERTIFIED,
            ProductCode.ANNUAL_ACCOUNTS_CERTIFIED,
            ProductCode.CERTIFIED_EXTRACT_DIGITAL,
        )

    @property
    def sealed(self) -> bool:
        """Signed with the register's seal (PAdES), so the PDF itself proves its origin."""
        return self is ProductCode.CERTIFIED_EXTRACT_DIGITAL


_ABOUT_FILED_REPORT = frozenset(
    {
        ProductCode.FILED_DOCUMENT,
        ProductCode.FILED_DOCUMENT_CERTIFIED,
        ProductCode.ANNUAL_ACCOUNTS,
        ProductCode.ANNUAL_ACCOUNTS_CERTIFIED,
        ProductCode.ANNUAL_ACCOUNTS_XBRL,
    }
)


@dataclass(frozen=True, slots=True)
class Address:
    """A street address as the register holds it."""

    street: str
    house_number: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class CompanySnapshot:
    """The company as the register showed it at the moment of the extract (mirrors
    `gql.models.register.Company`, which this package does not import)."""

    kvk_number: str
    name: str
    legal_form: str
    visiting_address: Address
    postal_address: Address | None = None
    registered_on: date | None = None
    financial_year_end: str = "12-31"  # "MM-DD"
    email: str | None = None


@dataclass(frozen=True, slots=True)
class FiledReport:
    """The filed annual report as stored: its bytes under the name and media type it was
    filed with ("application/pdf", "application/xml" for XBRL, "application/zip")."""

    file_name: str
    media_type: str
    content: bytes
    filed_at: datetime | None = None

    def __post_init__(self) -> None:
        # A format name ("PDF") passed as media type would make a PDF filing look like XBRL.
        if self.media_type not in FILED_MEDIA_TYPES:
            raise ValueError(f"unknown media type of a filed report: {self.media_type!r}")

    @property
    def is_pdf(self) -> bool:
        return self.media_type == PDF

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, slots=True)
class ProductDocument:
    """Everything a product's file is made from; the same request makes the same file
    (apart from a seal's signature value)."""

    code: ProductCode
    name_nl: str
    name_en: str
    company: CompanySnapshot
    extracted_at: datetime  # aware; shown in Europe/Amsterdam with its offset
    order_reference: str
    language: Language = "nl"
    financial_year_end: date | None = None
    filed_report: FiledReport | None = None

    def __post_init__(self) -> None:
        if self.extracted_at.utcoffset() is None:
            raise ValueError("extracted_at must be an aware datetime")
        if self.language not in ("nl", "en"):
            raise ValueError(f"unknown language {self.language!r}")

    @property
    def name(self) -> str:
        """The product's name in the document's language."""
        return self.name_en if self.language == "en" else self.name_nl


@dataclass(frozen=True, slots=True)
class ProductFile:
    """A product as it is delivered: the bytes, their media type and a file name."""

    content: bytes
    media_type: str
    file_name: str


class ProductUnavailable(ValueError):
    """The request cannot make its product, e.g. annual accounts without a filed report."""
