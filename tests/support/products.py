"""Product-document requests for the document layer, with a company that uses every field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from gql.documents.products import (
    PDF,
    Address,
    CompanySnapshot,
    FiledReport,
    ProductCode,
    ProductDocument,
)
from tests.support.documents import pdf_document

# 13:00 in Amsterdam, winter time.
EXTRACTED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
YEAR_END = date(2024, 12, 31)

COMPANY = CompanySnapshot(
    kvk_number="12345678",
    name="Bakkerij De Zon B.V.",
    legal_form="Besloten vennootschap",
    visiting_address=Address("Dorpsstraat", "1a", "1234 AB", "Amsterdam"),
    postal_address=Address("Postbus", "12", "1000 AA", "Amsterdam"),
    registered_on=date(2010, 5, 3),
    financial_year_end="06-30",
    email="info@bakkerijdezon.nl",
)

NAMES = {
    ProductCode.EXTRACT: ("Uittreksel Handelsregister", "Extract from the trade register"),
    ProductCode.COMPANY_PROFILE: ("Bedrijfsprofiel", "Company profile"),
    ProductCode.FILED_DOCUMENT: ("Gedeponeerd stuk", "Filed document"),
    ProductCode.FILED_DOCUMENT_CERTIFIED: (
        "Gedeponeerd stuk, gewaarmerkt",
        "Filed document, certified",
    ),
    ProductCode.ANNUAL_ACCOUNTS: ("Jaarrekening", "Annual accounts"),
    ProductCode.ANNUAL_ACCOUNTS_CERTIFIED: (
        "Jaarrekening, gewaarmerkt",
        "Annual accounts, certified",
    ),
    ProductCode.ANNUAL_ACCOUNTS_XBRL: ("Jaarrekening in XBRL", "Annual accounts in XBRL"),
    ProductCode.CERTIFIED_EXTRACT_DIGITAL: (
        "Digitaal gewaarmerkt uittreksel",
        "Digitally certified extract",
    ),
}

FILED_TEXT = "Balans en winst-en-verliesrekening 2024"


def filed_pdf(text: str = FILED_TEXT) -> FiledReport:
    """An annual report filed as a one-page PDF that says `text`."""
    return FiledReport(
        file_name="jaarrekening-2024.pdf",
        media_type=PDF,
        content=pdf_document(text),
        filed_at=datetime(2025, 5, 20, 9, 30, tzinfo=UTC),
    )


def product_document(code: ProductCode, **changes: Any) -> ProductDocument:
    """A request for `code` about COMPANY in Dutch; one about a filed report gets a PDF one."""
    name_nl, name_en = NAMES[code]
    document = ProductDocument(
        code=code,
        name_nl=name_nl,
        name_en=name_en,
        company=COMPANY,
        extracted_at=EXTRACTED_AT,
        order_reference="2026-000042",
        financial_year_end=YEAR_END if code.needs_filed_report else None,
        filed_report=filed_pdf() if code.needs_filed_report else None,
    )
    return replace(document, **changes)
