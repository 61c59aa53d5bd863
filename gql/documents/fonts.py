"""Text for the PDF core fonts (Helvetica, Courier), which draw only WinAnsi (cp1252).

No TTF ships with our pip packages and a system font is not guaranteed, so letters and
products use the core fonts. WinAnsi covers Dutch and most West-European names, "€", "—"
and quotes; any other character is replaced by a close one so a name stays readable.
"""

from __future__ import annotations

import unicodedata

ENCODING = "windows-1252"
FONT = "Helvetica"
MONOSPACE = "Courier"

_REPLACEMENTS = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2002": " ",
    "\u2003": " ",
    # Letters without a Unicode decomposition that NFKD could strip to a Latin base.
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "ı": "i",
    "Ħ": "H",
    "ħ": "h",
}


def printable(text: str) -> str:
    """The text with every character the core font cannot draw replaced by a close one or '?'."""
    return "".join(_printable_char(char) for char in text.replace("\r\n", "\n"))


def _printable_char(char: str) -> str:
    if char == "\n":
        return char
    if unicodedata.category(char).startswith("C"):
        return " " if char == "\t" else ""
    char = _REPLACEMENTS.get(char, char)
    if _encodable(char):
        return char
    # Letters such as "ő" or "ș" lose only their accent: the name stays readable.
    base = "".join(
        part
        for part in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(part) and _encodable(part)
    )
    return base or "?"


def _encodable(text: str) -> bool:
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True
