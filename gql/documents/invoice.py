"""An invoice as an A4 PDF (fpdf2, core fonts: its text is extractable).

Number, dates, the payer with the address block it was sent to, one line per order (or the
top-up), the total, the statement that no VAT (btw) is charged, and for direct debit the
mandate, the collection date and the masked IBAN. The same invoice gives the same file: the
PDF's date is the moment of issue. The file is stored once and never made again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fpdf.enums import XPos, YPos

from gql.documents.fonts import FONT, printable
from gql.documents.layout import ProductPdf
from gql.services.shared.formatting import format_cents, format_date, format_month

# Printed words, by language (a document is a form: its words stay here, as in render.py).
_WORDS = {
    "nl": {
        "title": "Factuur",
        "number": "Factuurnummer",
        "issue_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "period": "Periode",
        "kvk_number": "KVK-nummer",
        "payment": "Betaalwijze",
        "direct_debit": "Automatische incasso",
        "paid_online": "Vooraf betaald ({method})",
        "reference": "Referentie",
        "product": "Product",
        "company": "Bedrijf",
        "date": "Datum",
        "amount": "Bedrag",
        "vat": "Btw",
        "total": "Totaal",
        "no_vat": "Geen btw: over producten van het Handelsregister wordt geen btw berekend.",
        "collection": "Het totaalbedrag wordt op {date} (de incassodatum) automatisch "
        "afgeschreven van rekening {iban}, op de machtiging met kenmerk {reference} "
        "(getekend op {signed}).",
        "mandate": "Machtigingskenmerk",
        "collection_date": "Incassodatum",
        "iban": "IBAN",
        "paid": "Deze factuur is al betaald op {date}; het bedrag staat op je tegoed.",
        "footer": "Toegang (demo): geen officieel stuk van de KVK · factuur {number} · "
        "pagina {page}",
    },
    "en": {
        "title": "Invoice",
        "number": "Invoice number",
        "issue_date": "Invoice date",
        "due_date": "Due date",
        "period": "Period",
        "kvk_number": "KVK number",
        "payment": "Payment",
        "direct_debit": "Direct debit",
        "paid_online": "Paid in advance ({method})",
        "reference": "Reference",
        "product": "Product",
        "company": "Company",
        "date": "Date",
        "amount": "Amount",
        "vat": "VAT",
        "total": "Total",
        "no_vat": "No VAT: no VAT (btw) is charged on trade register products.",
        "collection": "The total is collected by direct debit on {date} (the collection "
        "date) from account {iban}, on the mandate with reference {reference} (signed on "
        "{signed}).",
        "mandate": "Mandate reference",
        "collection_date": "Collection date",
        "iban": "IBAN",
        "paid": "This invoice was paid on {date}; the amount is on your balance.",
        "footer": "Toegang (demo): not an official KVK document · invoice {number} · page {page}",
    },
}
_METHODS = {
    "nl": {"IDEAL": "iDEAL", "CREDIT_CARD": "creditcard"},
    "en": {"IDEAL": "iDEAL", "CREDIT_CARD": "credit card"},
}

# Millimetres on A4; the address block sits in the window of a standard NL window envelope.
_WINDOW_TOP = 45.0
_WINDOW_WIDTH = 85.0
_LABEL_WIDTH = 50.0  # as in layout.py


@dataclass(frozen=True, slots=True)
class Line:
    reference: str | None  # the order reference (None for a top-up)
    description: str  # the product's name, or what the top-up was
    company: str | None  # the company an order is about: "Name (KVK 12345678)"
    day: date
    amount_cents: int


@dataclass(frozen=True, slots=True)
class DirectDebit:
    mandate_reference: str
    signed_on: date
    iban_masked: str
    collection_date: date


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    number: str
    language: str
    issued_at: datetime
    issue_date: date
    due_date: date
    payer_name: str
    address_lines: tuple[str, ...]
    kvk_number: str | None  # the paying organisation
    month: date | None  # a monthly invoice's month
    lines: tuple[Line, ...]
    total_cents: int
    direct_debit: DirectDebit | None
    paid_online_method: str | None  # IDEAL / CREDIT_CARD for a paid top-up
    paid_on: date | None


class InvoicePdf(ProductPdf):
    """The shared A4 page with the invoice number, not an order reference, in the footer."""

    def __init__(self, document: InvoiceDocument) -> None:
        self._number = document.number
        words = _WORDS[document.language]
        super().__init__(
            title=f"{words['title']} {document.number}",
            language=document.language,
            reference=document.number,
            made_at=document.issued_at,
        )

    def row(self, label: str, value: str, *, monospace: bool = False) -> None:
        """As the shared row, drawn as one cell when the value fits on its line (multi_cell
        breaks lines character by character: most of a small invoice's rendering time)."""
        self.set_font(FONT, size=10)
        if monospace or self.get_string_width(printable(value)) > self.epw - _LABEL_WIDTH - 2:
            super().row(label, value, monospace=monospace)
            return
        self.set_font(FONT, style="B", size=10)
        self.cell(w=_LABEL_WIDTH, h=5.5, text=printable(label))
        self.set_font(FONT, size=10)
        self.cell(w=0, h=5.5, text=printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str) -> None:
        """As the shared paragraph, wrapped word by word here: multi_cell measures each line
        again for every character added to it."""
        self.set_font(FONT, size=10)
        space = self.get_string_width(" ")
        line: list[str] = []
        width = 0.0
        for word in printable(text).split():
            word_width = self.get_string_width(word)
            if line and width + space + word_width > self.epw:
                self.cell(w=0, h=5.5, text=" ".join(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                line, width = [], 0.0
            width += (space if line else 0.0) + word_width
            line.append(word)
        if line:
            self.cell(w=0, h=5.5, text=" ".join(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        text = _WORDS[self._language]["footer"].format(number=self._number, page=self.page_no())
        self.cell(w=0, h=5, text=printable(text), align="C")


def render_invoice(document: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes (CPU work: run it in a thread)."""
    language = document.language if document.language in _WORDS else "nl"
    words = _WORDS[language]
    pdf = InvoicePdf(document)

    pdf.set_xy(pdf.l_margin, _WINDOW_TOP)
    pdf.set_font(FONT, size=10)
    for line in (document.payer_name, *document.address_lines):
        if line.strip():
            pdf.cell(
                w=_WINDOW_WIDTH, h=5, text=printable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    pdf.set_y(_WINDOW_TOP + 40)
    pdf.title_line(f"{words['title']} {document.number}")
    pdf.row(words["number"], document.number)
    pdf.row(words["issue_date"], format_date(document.issue_date, language))
    pdf.row(words["due_date"], format_date(document.due_date, language))
    if document.month is not None:
        pdf.row(words["period"], format_month(document.month, language))
    if document.kvk_number:
        pdf.row(words["kvk_number"], document.kvk_number)
    if document.direct_debit is not None:
        pdf.row(words["payment"], words["direct_debit"])
    elif document.paid_online_method:
        method = document.paid_online_method
        name = _METHODS[language].get(method, method)
        pdf.row(words["payment"], words["paid_online"].format(method=name))
    pdf.ln(4)

    _lines_table(pdf, document, words, language)

    pdf.ln(3)
    pdf.row(words["vat"], format_cents(0, language))
    pdf.set_font(FONT, style="B", size=11)
    pdf.row(words["total"], format_cents(document.total_cents, language))
    pdf.ln(2)
    pdf.paragraph(words["no_vat"])

    debit = document.direct_debit
    if debit is not None:
        pdf.heading(words["direct_debit"])
        pdf.row(words["mandate"], debit.mandate_reference)
        pdf.row(words["collection_date"], format_date(debit.collection_date, language))
        pdf.row(words["iban"], debit.iban_masked)
        pdf.ln(2)
        pdf.paragraph(
            words["collection"].format(
                date=format_date(debit.collection_date, language),
                iban=debit.iban_masked,
                reference=debit.mandate_reference,
                signed=format_date(debit.signed_on, language),
            )
        )
    elif document.paid_on is not None:
        pdf.paragraph(words["paid"].format(date=format_date(document.paid_on, language)))
    return pdf.to_bytes()


# Columns of the lines: reference, description (product, and the company below it), date,
# amount; drawn cell by cell (fpdf2's table layout costs ~5 ms a row, this a fraction).
_COLUMNS = (32.0, 94.0, 22.0, 22.0)
_ROW = 4.6


def _lines_table(
    pdf: InvoicePdf, document: InvoiceDocument, words: dict[str, str], language: str
) -> None:
    def heading() -> None:
        pdf.set_font(FONT, style="B", size=9)
        for width, word, align in zip(
            _COLUMNS, ("reference", "product", "date", "amount"), "LLLR", strict=True
        ):
            pdf.cell(w=width, h=_ROW + 1, text=printable(words[word]), border="B", align=align)
        pdf.ln(_ROW + 2)
        pdf.set_font(FONT, size=9)

    heading()
    for line in document.lines:
        described = [line.description] + ([line.company] if line.company else [])
        height = _ROW * len(described)
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            heading()
        top = pdf.get_y()
        pdf.cell(w=_COLUMNS[0], h=_ROW, text=printable(line.reference or "-"))
        for offset, text in enumerate(described):
            pdf.set_xy(pdf.l_margin + _COLUMNS[0], top + offset * _ROW)
            pdf.cell(w=_COLUMNS[1], h=_ROW, text=_fit(pdf, text, _COLUMNS[1]))
        pdf.set_xy(pdf.l_margin + _COLUMNS[0] + _COLUMNS[1], top)
        pdf.cell(w=_COLUMNS[2], h=_ROW, text=line.day.strftime("%d-%m-%Y"))
        pdf.cell(
            w=_COLUMNS[3],
            h=_ROW,
            text=printable(format_cents(line.amount_cents, language)),
            align="R",
        )
        pdf.set_xy(pdf.l_margin, top + height + 1)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1)


def _fit(pdf: InvoicePdf, text: str, width: float) -> str:
    """The text, shortened with '...' when it would not fit its column."""
    text = printable(text)
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text + "..."
