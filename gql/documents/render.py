"""A product request made into its file: the PDF (with the filed report's pages appended,
or sealed) or, for annual accounts in XBRL, the filed file itself."""

from __future__ import annotations

import io
import re
from datetime import date

from babel.dates import format_skeleton
from pypdf import PdfReader, PdfWriter

from gql.documents.layout import ProductPdf
from gql.documents.products import (
    PDF,
    Address,
    ProductCode,
    ProductDocument,
    ProductFile,
    ProductUnavailable,
)
from gql.documents.signing import SealCredentials, sign_pdf
from gql.services.shared.formatting import format_date, format_moment, local_date

# Printed words, by language. A document is a form, not a message, so these stay here
# rather than in the i18n registry of messages.
_WORDS = {
    "nl": {
        "name": "Naam",
        "kvk_number": "KVK-nummer",
        "legal_form": "Rechtsvorm",
        "visiting_address": "Bezoekadres",
        "postal_address": "Postadres",
        "registered_on": "Datum inschrijving",
        "financial_year_end": "Einde boekjaar",
        "email": "E-mailadres",
        "made_at": "Uittreksel vervaardigd op {moment}",
        "reference": "Bestelreferentie: {reference}",
        "facts": "Ingeschreven gegevens",
        "extract": "Dit uittreksel geeft de inschrijving weer zoals die op het moment van "
        "vervaardiging in het Handelsregister stond.",
        "sealed": "Dit uittreksel is digitaal gewaarmerkt: het draagt het elektronische zegel "
        "van de Kamer van Koophandel. Uw PDF-lezer toont of het zegel geldig is en of het "
        "document na het waarmerken is gewijzigd.",
        "profile": "Bedrijfsprofiel",
        "profile_text": "{name} is een {legal_form}, gevestigd in {city}{since}. "
        "Het boekjaar eindigt op {year_end}.",
        "profile_since": " en ingeschreven in het Handelsregister sinds {date}",
        "financial_year": "Boekjaar eindigend op {date}",
        "filed_at": "Gedeponeerd op",
        "filed_pdf_one": "De jaarrekening zoals die is gedeponeerd volgt op de volgende pagina.",
        "filed_pdf": "De jaarrekening zoals die is gedeponeerd volgt op de volgende {count} "
        "pagina's.",
        "filed_xbrl": "De jaarrekening is in XBRL gedeponeerd en is daarom niet als PDF "
        "bijgevoegd. Het gedeponeerde bestand is te herkennen aan zijn naam en SHA-256:",
        "file_name": "Bestand",
        "sha256": "SHA-256",
        "certification": "Waarmerk",
        "certified": "Gewaarmerkt afschrift van het Handelsregister. De Kamer van Koophandel "
        "verklaart dat dit document overeenstemt met het Handelsregister op {date}.",
        "seal_reason": "Gewaarmerkt uittreksel uit het Handelsregister, bestelreferentie "
        "{reference}",
    },
    "en": {
        "name": "Name",
        "kvk_number": "KVK number",
        "legal_form": "Legal form",
        "visiting_address": "Visiting address",
        "postal_address": "Postal address",
        "registered_on": "Registered on",
        "financial_year_end": "Financial year ends",
        "email": "E-mail address",
        "made_at": "Extract made on {moment}",
        "reference": "Order reference: {reference}",
        "facts": "Registered facts",
        "extract": "This extract shows the registration as it stood in the Handelsregister "
        "(trade register) at the moment it was made.",
        "sealed": "This extract is digitally certified: it carries the electronic seal of the "
        "Kamer van Koophandel. Your PDF reader shows whether the seal is valid and whether "
        "the document was changed after it was certified.",
        "profile": "Company profile",
        "profile_text": "{name} is a {legal_form} based in {city}{since}. "
        "Its financial year ends on {year_end}.",
        "profile_since": ", registered in the Handelsregister (trade register) since {date}",
        "financial_year": "Financial year ending {date}",
        "filed_at": "Filed on",
        "filed_pdf_one": "The annual accounts as filed follow on the next page.",
        "filed_pdf": "The annual accounts as filed follow on the next {count} pages.",
        "filed_xbrl": "The annual accounts were filed in XBRL and are therefore not attached "
        "as PDF. The filed file is identified by its name and SHA-256:",
        "file_name": "File",
        "sha256": "SHA-256",
        "certification": "Certification",
        "certified": "Certified copy from the Handelsregister (trade register). The Kamer van "
        "Koophandel declares that this document corresponds to the Handelsregister on {date}.",
        "seal_reason": "Certified extract from the Handelsregister, order reference {reference}",
    },
}
SEAL_LOCATION = "Utrecht, NL"
_MEDIA_SUFFIXES = {PDF: ".pdf", "application/xml": ".xbrl", "application/zip": ".zip"}


def render_product(
    document: ProductDocument, *, seal: SealCredentials | None = None
) -> ProductFile:
    """The product's file; a sealed product needs `seal` and is signed at the extract's moment.

    Raises ProductUnavailable when the request lacks what its product is made of.
    """
    code = document.code
    if code.needs_filed_report and (
        document.filed_report is None or document.financial_year_end is None
    ):
        raise ProductUnavailable(f"{code} needs a filed annual report and its financial year")
    if code is ProductCode.ANNUAL_ACCOUNTS_XBRL:
        return _filed_xbrl(document)
    content = _filed_copy(document) if code.needs_filed_report else _extract_or_profile(document)
    if code.sealed:
        if seal is None:
            raise ValueError(f"{code} is sealed: pass the register's seal")
        reason = _WORDS[document.language]["seal_reason"].format(reference=document.order_reference)
        content = sign_pdf(
            content, seal, reason=reason, location=SEAL_LOCATION, now=document.extracted_at
        )
    return ProductFile(content=content, media_type=PDF, file_name=_file_name(document, ".pdf"))


def _extract_or_profile(document: ProductDocument) -> bytes:
    words = _WORDS[document.language]
    company = document.company
    pdf = _opening(document)
    if document.code is ProductCode.COMPANY_PROFILE:
        pdf.heading(words["profile"])
        since = (
            words["profile_since"].format(
                date=format_date(company.registered_on, document.language)
            )
            if company.registered_on
            else ""
        )
        pdf.paragraph(
            words["profile_text"].format(
                name=company.name,
                legal_form=company.legal_form,
                city=company.visiting_address.city,
                since=since,
                year_end=_year_end(company.financial_year_end, document.language),
            )
        )
    else:
        pdf.heading(words["facts"])
        pdf.row(
            words["financial_year_end"], _year_end(company.financial_year_end, document.language)
        )
        if company.email:
            pdf.row(words["email"], company.email)
        pdf.ln(3)
        pdf.paragraph(words["extract"])
        if document.code.sealed:
            pdf.paragraph(words["sealed"])
    if document.code.certified:
        _certification(pdf, document)
    return pdf.to_bytes()


def _filed_copy(document: ProductDocument) -> bytes:
    """A cover page about the financial year, then the filed PDF's own pages, if any."""
    words = _WORDS[document.language]
    report = document.filed_report
    assert report is not None and document.financial_year_end is not None
    filed_pages = _pages(report.content) if report.is_pdf else None
    pdf = _opening(document, subtitle=_financial_year(document.financial_year_end, document))
    if report.filed_at is not None:
        pdf.row(words["filed_at"], format_date(local_date(report.filed_at), document.language))
        pdf.ln(2)
    if filed_pages is None:
        pdf.paragraph(words["filed_xbrl"])
        pdf.row(words["file_name"], report.file_name)
        pdf.row(words["sha256"], report.sha256, monospace=True)
    else:
        count = len(filed_pages.pages)
        pdf.paragraph(
            words["filed_pdf_one"] if count == 1 else words["filed_pdf"].format(count=count)
        )
    if document.code.certified:
        _certification(pdf, document)
    cover = pdf.to_bytes()
    if filed_pages is None:
        return cover
    writer = PdfWriter(clone_from=io.BytesIO(cover))
    writer.append(filed_pages, import_outline=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _filed_xbrl(document: ProductDocument) -> ProductFile:
    """The filed XBRL file (or the ZIP that holds it) as it was filed."""
    report = document.filed_report
    assert report is not None
    if report.is_pdf:
        raise ProductUnavailable("the annual accounts were filed as PDF, not in XBRL")
    suffix = _MEDIA_SUFFIXES[report.media_type]
    return ProductFile(
        content=report.content,
        media_type=report.media_type,
        file_name=_file_name(document, suffix),
    )


def _opening(document: ProductDocument, *, subtitle: str | None = None) -> ProductPdf:
    """A new PDF with the product's title and the company as the register shows it."""
    words = _WORDS[document.language]
    company = document.company
    pdf = ProductPdf(
        title=f"{document.name} — {company.name}",
        language=document.language,
        reference=document.order_reference,
        made_at=document.extracted_at,
    )
    pdf.title_line(document.name)
    if subtitle:
        pdf.paragraph(subtitle)
    pdf.row(words["name"], company.name)
    pdf.row(words["kvk_number"], company.kvk_number)
    pdf.row(words["legal_form"], company.legal_form)
    pdf.row(words["visiting_address"], _address(company.visiting_address))
    if company.postal_address is not None:
        pdf.row(words["postal_address"], _address(company.postal_address))
    if company.registered_on is not None:
        pdf.row(words["registered_on"], format_date(company.registered_on, document.language))
    pdf.ln(3)
    pdf.paragraph(
        words["made_at"].format(moment=format_moment(document.extracted_at, document.language))
    )
    pdf.paragraph(words["reference"].format(reference=document.order_reference))
    return pdf


def _certification(pdf: ProductPdf, document: ProductDocument) -> None:
    words = _WORDS[document.language]
    day = format_date(local_date(document.extracted_at), document.language)
    pdf.heading(words["certification"])
    pdf.paragraph(words["certified"].format(date=day))


def _address(address: Address) -> str:
    return f"{address.street} {address.house_number}\n{address.postal_code} {address.city}"


def _year_end(month_day: str, language: str) -> str:
    """'31 december' or 'December 31' for "12-31"; the text itself if it is not a date."""
    try:
        # 2000 is a leap year, so "02-29" is a date too.
        day = date.fromisoformat(f"2000-{month_day}")
    except ValueError:
        return month_day
    return format_skeleton("MMMMd", day, locale="nl_NL" if language == "nl" else "en")


def _financial_year(year_end: date, document: ProductDocument) -> str:
    return _WORDS[document.language]["financial_year"].format(
        date=format_date(year_end, document.language)
    )


def _pages(content: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(content))
        if not reader.pages:
            raise ProductUnavailable("the filed PDF has no pages")
    except ProductUnavailable:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file; each means the same
        raise ProductUnavailable(f"the filed PDF cannot be read: {exc}") from None
    return reader


def _file_name(document: ProductDocument, suffix: str) -> str:
    """'annual-accounts-certified-12345678-2024-12-31.pdf': the code, the company, the year."""
    parts = [document.code.lower().replace("_", "-"), document.company.kvk_number]
    if document.financial_year_end is not None and document.code.needs_filed_report:
        parts.append(document.financial_year_end.isoformat())
    return re.sub(r"[^a-z0-9.-]+", "-", "-".join(parts)) + suffix
