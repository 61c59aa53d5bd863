"""The A4 page every product PDF shares: the register's header, a footer with the order
reference and page number, headings, labelled rows and paragraphs (fpdf2, core fonts)."""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from gql.documents.fonts import ENCODING, FONT, MONOSPACE, printable

REGISTER = "Kamer van Koophandel — Handelsregister"
# No "page x of y": a filed report's own pages, appended after rendering, have no footer.
_FOOTER = {
    "nl": "Toegang (demo): geen officieel stuk van de KVK · bestelreferentie {reference}"
    " · pagina {page}",
    "en": "Toegang (demo): not an official KVK document · order reference {reference}"
    " · page {page}",
}

# Millimetres on A4.
_MARGIN = 20.0
_LABEL_WIDTH = 50.0


class ProductPdf(FPDF):
    """An A4 product document with the register's header and a footer on every page."""

    def __init__(self, *, title: str, language: str, reference: str, made_at: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self._language = language
        self._reference = reference
        # The same order makes the same file, so the PDF's date is the extract's own.
        self.set_creation_date(made_at)
        self.set_title(printable(title))
        self.set_author("Kamer van Koophandel")
        self.set_creator("Toegang")
        self.set_lang(language)
        self.set_margins(left=_MARGIN, top=15, right=_MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.add_page()

    def header(self) -> None:
        self.set_font(FONT, style="B", size=12)
        self.cell(text=printable(REGISTER), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(120)
        self.line(self.l_margin, self.y + 2, self.w - self.r_margin, self.y + 2)
        self.ln(8)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        text = _FOOTER[self._language].format(reference=self._reference, page=self.page_no())
        self.cell(w=0, h=5, text=printable(text), align="C")

    def title_line(self, text: str) -> None:
        self.set_font(FONT, style="B", size=16)
        self.multi_cell(w=0, h=8, text=printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT, style="B", size=11)
        self.multi_cell(w=0, h=6, text=printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def row(self, label: str, value: str, *, monospace: bool = False) -> None:
        """A label and its value side by side; a long value wraps under itself."""
        self.set_font(FONT, style="B", size=10)
        self.cell(w=_LABEL_WIDTH, h=5.5, text=printable(label))
        self.set_font(MONOSPACE if monospace else FONT, size=8 if monospace else 10)
        self.multi_cell(w=0, h=5.5, text=printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str) -> None:
        self.set_font(FONT, size=10)
        self.multi_cell(w=0, h=5.5, text=printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
