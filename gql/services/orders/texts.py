"""Texts and mails of the orders domain."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

TEXTS = texts(
    __name__,
    {
        "product_unknown": {
            "nl": "Dit product bestaat niet. Kies een code uit de productlijst.",
            "en": "There is no such product. Choose a code from the product list.",
        },
        "product_not_orderable": {
            "nl": "Dit product is niet te bestellen.",
            "en": "This product cannot be ordered.",
        },
        "financial_year_end_required": {
            "nl": "Geef het einde van het boekjaar op: dit product gaat over een gedeponeerde "
            "jaarrekening.",
            "en": "Give the end of the financial year: this product is about filed annual "
            "accounts.",
        },
        "financial_year_end_not_used": {
            "nl": "Laat dit leeg: alleen producten over een gedeponeerde jaarrekening hebben "
            "een boekjaar.",
            "en": "Leave this out: only products about filed annual accounts take a financial "
            "year.",
        },
        "nothing_filed": {
            "nl": "Voor dit boekjaar is geen jaarrekening gedeponeerd.",
            "en": "No annual accounts were filed for this financial year.",
        },
        "nothing_filed_xbrl": {
            "nl": "De jaarrekening over dit boekjaar is niet in XBRL gedeponeerd; bestel de "
            "jaarrekening als PDF.",
            "en": "The annual accounts of this financial year were not filed in XBRL; order "
            "them as a PDF.",
        },
        "order_needs_mandate": {
            "nl": "Er is geen actieve machtiging voor automatische incasso. Geef eerst een "
            "machtiging af (betaalwijze aanpassen).",
            "en": "There is no active direct-debit mandate. Sign a mandate first (change the "
            "payment method).",
        },
        "order_placed": {
            "nl": "Je bestelling {reference} is geplaatst.",
            "en": "Your order {reference} was placed.",
        },
        "no_vat": {
            "nl": "Over producten van het Handelsregister wordt geen btw berekend.",
            "en": "No VAT (btw) is charged on trade register products.",
        },
        "no_invoice_for_online_payment": {
            "nl": "Voor een aankoop met iDEAL of creditcard kunnen we geen (kopie)factuur "
            "sturen. Je bank- of creditcardafschrift is het bewijs van betaling.",
            "en": "For a purchase paid with iDEAL or a credit card no invoice (or copy "
            "invoice) can be sent. Your bank or card statement is the proof of payment.",
        },
    },
)

MAILS = register(
    {
        "certified_extract_ready": Template(
            subject={
                "nl": "Je digitaal gewaarmerkt uittreksel",
                "en": "Your digitally certified extract",
            },
            body={
                "nl": "Beste klant,\n\nJe betaling van {amount} is ontvangen. Je digitaal "
                "gewaarmerkt uittreksel van {company_name} (KVK-nummer {kvk_number}) staat "
                "klaar:\n\n{link}\n\nDe link werkt tot {expires_at} en {downloads} keer.\n\n"
                "Voor een aankoop met iDEAL of creditcard kunnen we geen (kopie)factuur "
                "sturen. Je bank- of creditcardafschrift is het bewijs van betaling.\n\n"
                "Bestelnummer: {reference}",
                "en": "Dear customer,\n\nYour payment of {amount} was received. Your "
                "digitally certified extract of {company_name} (KVK number {kvk_number}) is "
                "ready:\n\n{link}\n\nThe link works until {expires_at}, {downloads} times.\n\n"
                "For a purchase paid with iDEAL or a credit card no invoice (or copy invoice) "
                "can be sent. Your bank or card statement is the proof of payment.\n\n"
                "Order number: {reference}",
            },
        ),
    }
)
