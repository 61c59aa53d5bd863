"""A payment reminder or formal notice as a PDF (one page, core fonts, text extractable),
with an EPC QR code ("SEPA" QR, EPC069-12) to pay the invoice by transfer.

The QR code is made by segno's `make_epc_qr`, which writes the EPC payload (BCD, version
002, UTF-8 (1), SCT, BIC, name, IBAN, EUR amount, no purpose, no structured reference, the
invoice number as the unstructured remittance) and picks the error correction the
guidelines ask for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import segno.helpers

from gql.documents.layout import ProductPdf


def epc_qr_png(*, name: str, iban: str, bic: str, amount_cents: int, remittance: str) -> bytes:
    """The EPC QR code of a transfer, as a PNG (4 pixels a module, the quiet zone kept)."""
    qr = segno.helpers.make_epc_qr(
        name=name[:70],
        iban=iban,
        amount=Decimal(amount_cents) / 100,
        text=remittance[:140],
        bic=bic or None,
        encoding=1,  # UTF-8, as the EPC guidelines recommend
    )
    out = io.BytesIO()
    qr.save(out, kind="png", scale=4, border=4)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class ReminderDocument:
    title: str
    language: str
    reference: str  # the invoice number, in the footer
    made_at: datetime
    addressee: str
    address_lines: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]
    paragraphs: tuple[str, ...]
    qr_caption: str
    qr_png: bytes


def render_reminder(document: ReminderDocument) -> bytes:
    pdf = ProductPdf(
        title=document.title,
        language=document.language,
        reference=document.reference,
        made_at=document.made_at,
    )
    for line in (document.addressee, *document.address_lines):
        pdf.row("", line)
    pdf.ln(6)
    pdf.title_line(document.title)
    for label, value in document.rows:
        pdf.row(label, value)
    pdf.ln(3)
    for paragraph in document.paragraphs:
        pdf.paragraph(paragraph)
    pdf.ln(2)
    pdf.paragraph(document.qr_caption)
    pdf.image(io.BytesIO(document.qr_png), w=40, h=40)
    return pdf.to_bytes()
