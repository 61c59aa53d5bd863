"""Texts of the bank files (Dutch and English)."""

from __future__ import annotations

from gql.i18n import texts

TEXTS = texts(
    __name__,
    {
        # UnsupportedBankFile.
        "bank_file_unsupported": {
            "nl": "Dit bestand is geen statusrapport (pain.002) of af- en "
            "bijschrijvingsbericht (camt.054) van de bank.",
            "en": "This file is no status report (pain.002) or debit/credit notification "
            "(camt.054) from the bank.",
        },
        "bank_file_malformed": {
            "nl": "Dit bestand is geen geldige XML (regel {line}, kolom {column}).",
            "en": "This file is not valid XML (line {line}, column {column}).",
        },
        "bank_file_encoding": {
            "nl": "Dit bestand noemt een tekenset (encoding) die we niet kennen.",
            "en": "This file names a character encoding we do not know.",
        },
        "bank_file_outgoing": {
            "nl": "Dit is een bestand vóór de bank ({message}), geen bericht ván de bank. "
            "Importeer het statusrapport of het af- en bijschrijvingsbericht.",
            "en": "This is a file for the bank ({message}), not a message from it. Import the "
            "status report or the debit/credit notification instead.",
        },
        "bank_file_too_many_elements": {
            "nl": "Dit bestand bevat meer dan {maximum} XML-elementen.",
            "en": "This file holds more than {maximum} XML elements.",
        },
        "bank_file_no_message_id": {
            "nl": "Dit bestand heeft geen berichtkenmerk (GrpHdr/MsgId).",
            "en": "This file has no message identification (GrpHdr/MsgId).",
        },
        "bank_file_required": {
            "nl": "Voeg het bestand van de bank toe.",
            "en": "Attach the file from the bank.",
        },
        "bank_file_empty": {"nl": "Dit bestand is leeg.", "en": "This file is empty."},
        # UnmatchedBankFile.
        "bank_file_unmatched": {
            "nl": "Dit bestand gaat niet over een bestand dat deze dienst heeft gemaakt "
            "(berichtkenmerk {original_message_id}); er is niets veranderd.",
            "en": "This file is not about a file this service made (message identification "
            "{original_message_id}); nothing was changed.",
        },
        # What an import did.
        "bank_file_imported": {
            "nl": "Geïmporteerd: {transactions} transacties gemeld, {changed} verwerkt.",
            "en": "Imported: {transactions} transactions reported, {changed} processed.",
        },
        "bank_file_seen_before": {
            "nl": "Dit bestand is al eerder geïmporteerd (op {at}); er is niets veranderd.",
            "en": "This file was imported before (on {at}); nothing was changed.",
        },
    },
)
