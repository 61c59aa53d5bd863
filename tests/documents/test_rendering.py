"""Product documents (SPEC §3.2): each product as a PDF whose text a reader can extract,
built from the register data of its company; annual accounts with the filed pages."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader, PdfWriter

from gql.documents.products import PDF, FiledReport, ProductCode, ProductUnavailable
from gql.documents.render import render_product
from gql.documents.signing import SealCredentials
from tests.support.documents import pdf_document, xbrl_instance
from tests.support.products import FILED_TEXT, product_document

PDF_PRODUCTS = [code for code in ProductCode if code is not ProductCode.ANNUAL_ACCOUNTS_XBRL]
FILED_COPIES = [code for code in PDF_PRODUCTS if code.needs_filed_report]


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.mark.parametrize("code", PDF_PRODUCTS)
def test_every_pdf_product_shows_the_company_as_registered_and_when_it_was_extracted(
    code: ProductCode, seal: SealCredentials
) -> None:
    # given
    document = product_document(code)
    # when
    product = render_product(document, seal=seal)
    # then
    assert product.media_type == PDF
    assert product.content.startswith(b"%PDF-")
    first = pages_text(product.content)[0]
    for expected in (
        "Kamer van Koophandel — Handelsregister",
        document.name_nl,
        "Bakkerij De Zon B.V.",
        "KVK-nummer 12345678",
        "Rechtsvorm Besloten vennootschap",
        "Bezoekadres Dorpsstraat 1a\n1234 AB Amsterdam",
        "Postadres Postbus 12\n1000 AA Amsterdam",
        "Datum inschrijving 3 mei 2010",
        "Uittreksel vervaardigd op 1 maart 2026 13:00 (+0100)",
        "Bestelreferentie: 2026-000042",
    ):
        assert expected in first, (expected, first)


@pytest.mark.parametrize("code", PDF_PRODUCTS)
def test_an_english_document_uses_english_labels_and_dates(
    code: ProductCode, seal: SealCredentials
) -> None:
    # given
    document = product_document(code, language="en")
    # when
    text = pages_text(render_product(document, seal=seal).content)[0]
    # then
    for expected in (
        document.name_en,
        "KVK number 12345678",
        "Registered on May 3, 2010",
        "Extract made on March 1, 2026 13:00 (+0100)",
        "Order reference: 2026-000042",
    ):
        assert expected in text, (expected, text)
    assert "Uittreksel vervaardigd" not in text


def test_the_moment_of_the_extract_is_shown_in_amsterdam_summer_time_with_its_offset() -> None:
    # given: 10:15 UTC on 1 July is 12:15 in Amsterdam
    document = product_document(
        ProductCode.EXTRACT, extracted_at=datetime(2026, 7, 1, 10, 15, tzinfo=UTC)
    )
    # when
    text = pages_text(render_product(document).content)[0]
    # then
    assert "Uittreksel vervaardigd op 1 juli 2026 12:15 (+0200)" in text


def test_the_extract_lists_the_registered_facts() -> None:
    # when
    text = pages_text(render_product(product_document(ProductCode.EXTRACT)).content)[0]
    # then
    assert "Einde boekjaar 30 juni" in text
    assert "E-mailadres info@bakkerijdezon.nl" in text
    assert "Gewaarmerkt" not in text


def test_the_company_profile_sums_the_company_up() -> None:
    # when
    text = pages_text(render_product(product_document(ProductCode.COMPANY_PROFILE)).content)[0]
    # then
    flat = " ".join(text.split())
    assert "Bakkerij De Zon B.V. is een Besloten vennootschap, gevestigd in Amsterdam" in flat
    assert "ingeschreven in het Handelsregister sinds 3 mei 2010" in flat
    assert "Het boekjaar eindigt op 30 juni." in flat


@pytest.mark.parametrize("code", FILED_COPIES)
def test_a_copy_of_annual_accounts_filed_as_pdf_is_a_cover_page_then_the_filed_pages(
    code: ProductCode,
) -> None:
    # given
    document = product_document(code)
    # when
    product = render_product(document)
    # then
    cover, filed = pages_text(product.content)
    assert "Boekjaar eindigend op 31 december 2024" in cover
    assert "Gedeponeerd op 20 mei 2025" in cover
    assert "volgt op de volgende pagina." in cover
    assert FILED_TEXT in filed
    assert "Handelsregister" not in filed
    assert product.file_name == f"{code.lower().replace('_', '-')}-12345678-2024-12-31.pdf"


def test_every_page_of_a_longer_filed_report_is_appended_in_order() -> None:
    # given: a filed report of three pages
    filed = product_document(ProductCode.ANNUAL_ACCOUNTS).filed_report
    assert filed is not None
    document = product_document(
        ProductCode.ANNUAL_ACCOUNTS,
        filed_report=replace(filed, content=_joined("Balans", "Toelichting", "Overige gegevens")),
    )
    # when
    cover, *filed_pages = pages_text(render_product(document).content)
    # then
    assert "volgt op de volgende 3 pagina's." in cover
    assert [page.strip() for page in filed_pages] == ["Balans", "Toelichting", "Overige gegevens"]


@pytest.mark.parametrize(
    "code", [ProductCode.FILED_DOCUMENT_CERTIFIED, ProductCode.ANNUAL_ACCOUNTS_CERTIFIED]
)
def test_a_certified_copy_states_it_is_certified_with_the_date(code: ProductCode) -> None:
    # when
    cover = pages_text(render_product(product_document(code)).content)[0]
    # then
    flat = " ".join(cover.split())
    assert (
        "Gewaarmerkt afschrift van het Handelsregister. De Kamer van Koophandel verklaart dat "
        "dit document overeenstemt met het Handelsregister op 1 maart 2026." in flat
    )


@pytest.mark.parametrize("code", [ProductCode.FILED_DOCUMENT, ProductCode.ANNUAL_ACCOUNTS])
def test_a_plain_copy_makes_no_claim_of_certification(code: ProductCode) -> None:
    # when
    text = "\n".join(pages_text(render_product(product_document(code)).content))
    # then
    assert "Gewaarmerkt" not in text
    assert "Waarmerk" not in text


@pytest.mark.parametrize("code", FILED_COPIES)
def test_accounts_filed_in_xbrl_are_named_by_file_and_sha256_instead_of_attached(
    code: ProductCode,
) -> None:
    # given
    xbrl = xbrl_instance()
    document = product_document(
        code, filed_report=FiledReport("jaarrekening-2024.xbrl", "application/xml", xbrl)
    )
    # when
    pages = pages_text(render_product(document).content)
    # then
    assert len(pages) == 1
    flat = " ".join(pages[0].split())
    assert "De jaarrekening is in XBRL gedeponeerd" in flat
    assert "Bestand jaarrekening-2024.xbrl" in flat
    assert f"SHA-256 {hashlib.sha256(xbrl).hexdigest()}" in flat


def test_annual_accounts_in_xbrl_are_the_filed_file_itself() -> None:
    # given
    xbrl = xbrl_instance()
    document = product_document(
        ProductCode.ANNUAL_ACCOUNTS_XBRL,
        filed_report=FiledReport("jaarrekening-2024.xbrl", "application/xml", xbrl),
    )
    # when
    product = render_product(document)
    # then
    assert product.content == xbrl
    assert product.media_type == "application/xml"
    assert product.file_name == "annual-accounts-xbrl-12345678-2024-12-31.xbrl"


def test_annual_accounts_in_xbrl_are_unavailable_when_they_were_filed_as_pdf() -> None:
    # given: the default filed report is a PDF
    document = product_document(ProductCode.ANNUAL_ACCOUNTS_XBRL)
    # then
    with pytest.raises(ProductUnavailable):
        render_product(document)


@pytest.mark.parametrize("code", [code for code in ProductCode if code.needs_filed_report])
def test_a_product_about_filed_accounts_is_unavailable_without_a_filed_report(
    code: ProductCode,
) -> None:
    # given
    document = product_document(code, filed_report=None)
    # then
    with pytest.raises(ProductUnavailable):
        render_product(document)


def test_a_damaged_filed_pdf_makes_the_product_unavailable_rather_than_failing_oddly() -> None:
    # given
    filed = product_document(ProductCode.ANNUAL_ACCOUNTS).filed_report
    assert filed is not None
    document = product_document(
        ProductCode.ANNUAL_ACCOUNTS, filed_report=replace(filed, content=b"%PDF-1.7\n garbage")
    )
    # then
    with pytest.raises(ProductUnavailable):
        render_product(document)


@pytest.mark.parametrize("code", [ProductCode.EXTRACT, ProductCode.ANNUAL_ACCOUNTS_CERTIFIED])
def test_the_same_request_makes_the_same_file(code: ProductCode) -> None:
    # when
    first = render_product(product_document(code))
    second = render_product(product_document(code))
    # then
    assert first == second


def test_a_sealed_product_is_not_made_without_the_seal() -> None:
    # then
    with pytest.raises(ValueError, match="seal"):
        render_product(product_document(ProductCode.CERTIFIED_EXTRACT_DIGITAL))


def test_a_filed_report_is_described_by_its_media_type_not_its_format_name() -> None:
    # then: "PDF" is the filing's format, not a media type
    with pytest.raises(ValueError, match="media type"):
        FiledReport("jaarrekening.pdf", "PDF", pdf_document())


def test_a_moment_without_a_time_zone_is_refused() -> None:
    # then
    with pytest.raises(ValueError, match="aware"):
        product_document(ProductCode.EXTRACT, extracted_at=datetime(2026, 3, 1, 12))


def test_a_name_beyond_the_core_font_stays_readable() -> None:
    # given: "ő" and "ș" are not in WinAnsi
    company = replace(product_document(ProductCode.EXTRACT).company, name="Kovács Erős Brașov Kft.")
    # when
    text = pages_text(
        render_product(product_document(ProductCode.EXTRACT, company=company)).content
    )
    # then
    assert "Kovács Eros Brasov Kft." in text[0]


def _joined(*texts: str) -> bytes:
    """One PDF whose pages say `texts`, in order."""
    writer = PdfWriter()
    for text in texts:
        writer.append(PdfReader(io.BytesIO(pdf_document(text))))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
