"""A4 letters for the POST channel, rendered with fpdf2 for a window envelope."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from gql.documents.fonts import ENCODING, FONT, printable
from gql.models.outbox import OutboxMessage

SENDER_NAME = "Kamer van Koophandel — Toegang"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_LABELS = {
    "nl": {"date": "Datum", "reference": "Kenmerk"},
    "en": {"date": "Date", "reference": "Reference"},
}

# Millimetres on A4; the address block sits in the window of a standard NL window envelope.
_LEFT = 22.0
_RIGHT = 20.0
_WINDOW_TOP = 45.0
_WINDOW_WIDTH = 85.0


def render_letter(message: OutboxMessage) -> bytes:
    """The letter as PDF bytes."""
    return bytes(build_letter(message).output())


def build_letter(message: OutboxMessage) -> FPDF:
    """The letter as an fpdf2 document, ready for output."""
    language = message.language if message.language in _LABELS else "nl"
    labels = _LABELS[language]
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = ENCODING
    # A re-sent letter should be the same file, so the PDF's date is the message's own.
    pdf.set_creation_date(message.created_at)
    pdf.set_title(printable(message.subject))
    pdf.set_author(SENDER_NAME)
    pdf.set_lang(language)
    pdf.set_margins(left=_LEFT, top=15, right=_RIGHT)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    pdf.set_font(FONT, style="B", size=14)
    pdf.cell(text=printable(SENDER_NAME), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Return line and address, inside the envelope window.
    pdf.set_xy(_LEFT, _WINDOW_TOP)
    pdf.set_font(FONT, size=7)
    pdf.cell(w=_WINDOW_WIDTH, h=4, text=printable(SENDER_NAME), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    for line in [message.recipient, *message.address.splitlines()]:
        if line.strip():
            pdf.cell(
                w=_WINDOW_WIDTH,
                h=5,
                text=printable(line.strip()),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )

    pdf.set_xy(_LEFT, 100)
    pdf.cell(
        h=5,
        text=f"{labels['date']}: {letter_date(message.created_at, language=language)}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.cell(
        h=5,
        text=f"{labels['reference']}: T-{message.id or 0:08d}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )

    pdf.set_y(115)
    pdf.set_font(FONT, style="B", size=11)
    pdf.multi_cell(w=0, h=6, text=printable(message.subject), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, size=10.5)
    pdf.multi_cell(w=0, h=5.5, text=printable(message.body), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf


def letter_date(moment: datetime, *, language: str) -> str:
    """The date as written in a letter: '3 maart 2025' or '3 March 2025', Dutch time."""
    local = moment.astimezone(AMSTERDAM)
    months = _MONTHS.get(language, _MONTHS["nl"])
    return f"{local.day} {months[local.month - 1]} {local.year}"


def letter_slug(message: OutboxMessage) -> str:
    """A file-name part from the template name (never personal data)."""
    slug = re.sub(r"[^a-z0-9]+", "-", message.template.lower()).strip("-")[:40]
    return slug or "letter"
