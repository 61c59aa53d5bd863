"""The balance statement of a month as a PDF (the shared A4 layout, fpdf2, core fonts) and as
a CSV file for a spreadsheet.

The CSV is written for Excel as people in the Netherlands have it: fields separated by
semicolons, amounts in euros with two decimals and a decimal comma and no thousands
separator ("-1234,50"), UTF-8 with a byte-order mark (without it Excel reads UTF-8 as
cp1252), and CRLF line ends. Moments are ISO 8601 with the Amsterdam offset. The first row
names the columns (in the statement's language), then the opening balance, one row per
entry and the closing balance; `kind` is the stable code (OPENING, TOP_UP, ..., CLOSING).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from gql.documents.fonts import FONT, printable
from gql.documents.layout import ProductPdf
from gql.services.shared.formatting import AMSTERDAM, format_cents, format_date, format_moment


@dataclass(frozen=True, slots=True)
class StatementLine:
    at: datetime
    kind: str
    description: str
    amount_cents: int
    held_delta_cents: int
    balance_cents: int
    held_cents: int


@dataclass(frozen=True, slots=True)
class StatementDocument:
    language: str
    account_name: str
    access_code: str
    month: str  # YYYY-MM
    month_label: str  # "maart 2026"
    starts_at: datetime
    ends_at: datetime  # the next month's start, or the moment made while the month runs
    complete: bool
    opening_cents: int
    opening_held_cents: int
    closing_cents: int
    closing_held_cents: int
    lines: list[StatementLine]


# Printed words, by language: a document is a form, not a message (as in render.py).
_WORDS = {
    "nl": {
        "title": "Saldo-overzicht {month}",
        "name": "Naam",
        "access_code": "Toegangscode",
        "period": "Periode",
        "period_complete": "{start} tot en met {end}",
        "period_running": "{start} tot {now}",
        "running": "Voorlopig overzicht: de maand is nog niet voorbij. Boekingen na {now} "
        "staan er nog niet op.",
        "opening": "Beginsaldo",
        "closing": "Eindsaldo",
        "closing_running": "Saldo tot nu",
        "held": "{amount} (waarvan {held} apart gehouden voor terugstortingen)",
        "entries": "Boekingen",
        "no_entries": "Geen boekingen in deze maand.",
        "at": "Datum en tijd",
        "description": "Omschrijving",
        "amount": "Bedrag",
        "held_delta": "Apart gehouden",
        "balance": "Saldo",
        "note": "Bedragen in euro; tijden in Nederlandse tijd. Bestellingen die met je tegoed "
        "zijn betaald staan op dit overzicht en niet op een factuur. Over onze producten en "
        "diensten betaal je geen btw.",
        "footer": "Toegang (demo): geen officieel stuk van de KVK · saldo-overzicht {month} "
        "· pagina {page}",
        "file": "saldo-overzicht",
        "time": "%d-%m-%Y %H:%M",
    },
    "en": {
        "title": "Balance statement {month}",
        "name": "Name",
        "access_code": "Access code",
        "period": "Period",
        "period_complete": "{start} up to and including {end}",
        "period_running": "{start} until {now}",
        "running": "Provisional statement: the month is not over yet. Entries after {now} are "
        "not on it yet.",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "closing_running": "Balance so far",
        "held": "{amount} (of which {held} held for refunds)",
        "entries": "Entries",
        "no_entries": "No entries in this month.",
        "at": "Date and time",
        "description": "Description",
        "amount": "Amount",
        "held_delta": "Held",
        "balance": "Balance",
        "note": "Amounts in euros; times in Dutch time. Orders paid from your balance are on "
        "this statement and not on an invoice. No VAT (btw) is charged on our products and "
        "services.",
        "footer": "Toegang (demo): not an official KVK document · balance statement {month} "
        "· page {page}",
        "file": "balance-statement",
        "time": "%Y-%m-%d %H:%M",
    },
}
_CSV_HEADINGS = {
    "nl": (
        "Datum en tijd",
        "Soort",
        "Omschrijving",
        "Bedrag (EUR)",
        "Wijziging apart gehouden (EUR)",
        "Saldo (EUR)",
        "Apart gehouden (EUR)",
    ),
    "en": (
        "Date and time",
        "Kind",
        "Description",
        "Amount (EUR)",
        "Change of held (EUR)",
        "Balance (EUR)",
        "Held (EUR)",
    ),
}
# Millimetres: the 170 mm between the margins.
_WIDTHS = (38, 60, 23, 26, 23)
_ALIGN = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT")


class _StatementPdf(ProductPdf):
    """The product layout with the statement's own footer."""

    def __init__(self, document: StatementDocument, made_at: datetime) -> None:
        self._month = document.month
        super().__init__(
            title=_words(document)["title"].format(month=document.month_label),
            language=document.language,
            reference=document.month,
            made_at=made_at,
        )

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        text = _WORDS[self._language]["footer"].format(month=self._month, page=self.page_no())
        self.cell(w=0, h=5, text=printable(text), align="C")


def _words(document: StatementDocument) -> dict[str, str]:
    return _WORDS[document.language]


def file_name(document: StatementDocument, suffix: str) -> str:
    return f"{_WORDS[document.language]['file']}-{document.month}{suffix}"


def statement_pdf(document: StatementDocument) -> bytes:
    """The statement as an A4 PDF with extractable text; a month that is over always makes
    the same bytes (the PDF's date is the month's end)."""
    words = _words(document)
    language = document.language
    pdf = _StatementPdf(document, made_at=document.ends_at)
    pdf.title_line(words["title"].format(month=document.month_label))
    pdf.row(words["name"], document.account_name)
    pdf.row(words["access_code"], document.access_code)
    pdf.row(words["period"], _period(document))
    pdf.ln(2)
    if not document.complete:
        pdf.paragraph(words["running"].format(now=format_moment(document.ends_at, language)))
    pdf.row(
        words["opening"],
        _amount_held(document.opening_cents, document.opening_held_cents, words, language),
    )
    pdf.heading(words["entries"])
    if document.lines:
        _table(pdf, document)
    else:
        pdf.paragraph(words["no_entries"])
    pdf.ln(3)
    pdf.row(
        words["closing"] if document.complete else words["closing_running"],
        _amount_held(document.closing_cents, document.closing_held_cents, words, language),
    )
    pdf.ln(4)
    pdf.paragraph(words["note"])
    return pdf.to_bytes()


def _period(document: StatementDocument) -> str:
    words = _words(document)
    start = format_date(document.starts_at.astimezone(AMSTERDAM).date(), document.language)
    if document.complete:
        last = (document.ends_at - timedelta(microseconds=1)).astimezone(AMSTERDAM).date()
        return words["period_complete"].format(
            start=start, end=format_date(last, document.language)
        )
    return words["period_running"].format(
        start=start, now=format_moment(document.ends_at, document.language)
    )


def _amount_held(cents: int, held: int, words: dict[str, str], language: str) -> str:
    amount = format_cents(cents, language)
    if held == 0:
        return amount
    return words["held"].format(amount=amount, held=format_cents(held, language))


def _table(pdf: ProductPdf, document: StatementDocument) -> None:
    words = _words(document)
    language = document.language
    pdf.set_font(FONT, size=8.5)
    with pdf.table(
        col_widths=_WIDTHS,
        text_align=_ALIGN,
        line_height=4.6,
        first_row_as_headings=True,
        repeat_headings=1,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        heading = table.row()
        for key in ("at", "description", "amount", "held_delta", "balance"):
            heading.cell(printable(words[key]))
        for line in document.lines:
            row = table.row()
            row.cell(printable(_moment(line.at, document)))
            row.cell(printable(line.description))
            row.cell(
                printable(format_cents(line.amount_cents, language) if line.amount_cents else "")
            )
            row.cell(
                printable(
                    format_cents(line.held_delta_cents, language) if line.held_delta_cents else ""
                )
            )
            row.cell(printable(format_cents(line.balance_cents, language)))


def _moment(at: datetime, document: StatementDocument) -> str:
    """'03-03-2026 14:05 (+0100)': compact for the table, with Amsterdam's offset."""
    local = at.astimezone(AMSTERDAM)
    return f"{local.strftime(_words(document)['time'])} ({local:%z})"


def statement_csv(document: StatementDocument) -> bytes:
    """The statement as CSV for a Dutch spreadsheet (see the module's docstring)."""
    words = _words(document)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(_CSV_HEADINGS[document.language])
    writer.writerow(
        [
            _iso(document.starts_at),
            "OPENING",
            words["opening"],
            "",
            "",
            _euros(document.opening_cents),
            _euros(document.opening_held_cents),
        ]
    )
    for line in document.lines:
        writer.writerow(
            [
                _iso(line.at),
                line.kind,
                line.description,
                _euros(line.amount_cents),
                _euros(line.held_delta_cents),
                _euros(line.balance_cents),
                _euros(line.held_cents),
            ]
        )
    writer.writerow(
        [
            _iso(document.ends_at),
            "CLOSING",
            words["closing"] if document.complete else words["closing_running"],
            "",
            "",
            _euros(document.closing_cents),
            _euros(document.closing_held_cents),
        ]
    )
    return out.getvalue().encode("utf-8-sig")


def _iso(moment: datetime) -> str:
    """ISO 8601 in Amsterdam time with its offset, whole seconds."""
    return moment.astimezone(AMSTERDAM).replace(microsecond=0).isoformat()


def _euros(cents: int) -> str:
    """'-1234,50': euros with two decimals and a decimal comma, no thousands separator."""
    return f"{Decimal(cents).scaleb(-2):.2f}".replace(".", ",")
