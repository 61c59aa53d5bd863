"""Texts and mails of collecting invoices: direct debits, reminders and transfers."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

_HOW_TO_PAY = {
    "nl": "Maak {amount} over naar {creditor}, IBAN {iban} (BIC {bic}), onder vermelding van "
    "factuurnummer {number}.",
    "en": "Transfer {amount} to {creditor}, IBAN {iban} (BIC {bic}), stating invoice number "
    "{number} as the reference.",
}

TEXTS = texts(
    __name__,
    {
        "no_invoices_to_collect": {
            "nl": "Er zijn geen openstaande facturen met automatische incasso die op of voor "
            "deze datum vervallen en nog niet zijn aangeboden.",
            "en": "There are no open direct-debit invoices due on or before this date that "
            "have not been submitted yet.",
        },
        "collection_date_past": {
            "nl": "De incassodatum kan niet in het verleden liggen.",
            "en": "The collection date cannot be in the past.",
        },
        "collection_date_too_far": {
            "nl": "De incassodatum mag hoogstens {days} dagen vooruit liggen.",
            "en": "The collection date may be at most {days} days ahead.",
        },
        "collection_remittance": {"nl": "KVK factuur {number}", "en": "KVK invoice {number}"},
        "collections_created": {
            "nl": "Incassobestand {message_id} gemaakt: {count} facturen, samen {total}.",
            "en": "Direct-debit file {message_id} made: {count} invoices, {total} in all.",
        },
        "direct_debit_blocked_unpaid": {
            "nl": "Je kunt niet met automatische incasso bestellen: een factuur is na een "
            "ingebrekestelling nog niet betaald. Neem contact op met het Servicecentrum van "
            "KVK om dit op te lossen.",
            "en": "You cannot order by direct debit: an invoice is still unpaid after a formal "
            "notice. Please contact the KVK Service Centre to resolve this.",
        },
        "invoice_not_open": {
            "nl": "Deze factuur is al betaald.",
            "en": "This invoice has already been paid.",
        },
        "transfer_amount_mismatch": {
            "nl": "Het bedrag ({amount}) is niet het factuurbedrag ({total}).",
            "en": "The amount ({amount}) is not the invoice total ({total}).",
        },
        "transfer_in_future": {
            "nl": "De ontvangstdatum kan niet in de toekomst liggen.",
            "en": "The date received cannot be in the future.",
        },
        "transfer_recorded": {
            "nl": "Factuur {number} is betaald met een overboeking van {amount}.",
            "en": "Invoice {number} is paid by a transfer of {amount}.",
        },
        "reminder_title": {"nl": "Betalingsherinnering", "en": "Payment reminder"},
        "formal_notice_title": {"nl": "Ingebrekestelling", "en": "Formal notice"},
        "reminder_text": {
            "nl": "Factuur {number} van {issue_date} ({amount}) verviel op {due_date} en is nog "
            "niet betaald. Wil je het bedrag binnen 14 dagen betalen? Aan deze herinnering zijn "
            "geen kosten verbonden. Heb je al betaald? Dan kun je deze brief als niet "
            "verzonden beschouwen.",
            "en": "Invoice {number} of {issue_date} ({amount}) was due on {due_date} and has "
            "not been paid yet. Please pay the amount within 14 days. This reminder adds no "
            "costs. Already paid? Then please disregard this letter.",
        },
        "formal_notice_text": {
            "nl": "Op {reminded_on} stuurden we je een herinnering voor factuur {number} "
            "({amount}). Die is nog steeds niet betaald. We stellen je hierbij in gebreke: "
            "betaal het bedrag binnen 14 dagen. Tot de factuur betaald is, kun je niet met "
            "automatische incasso bestellen. Aan deze ingebrekestelling zijn geen kosten "
            "verbonden. Vragen? Neem contact op met het Servicecentrum.",
            "en": "On {reminded_on} we sent you a reminder for invoice {number} ({amount}). It "
            "is still unpaid. This is a formal notice of default: please pay the amount within "
            "14 days. Until the invoice is paid you cannot order by direct debit. This notice "
            "adds no costs. Questions? Please contact the Service Centre.",
        },
        "how_to_pay": _HOW_TO_PAY,
        "scan_to_pay": {
            "nl": "Scan de QR-code met je bankapp om direct te betalen.",
            "en": "Scan the QR code with your banking app to pay at once.",
        },
        "reminder_label_invoice": {"nl": "Factuurnummer", "en": "Invoice number"},
        "reminder_label_amount": {"nl": "Bedrag", "en": "Amount"},
        "reminder_label_due": {"nl": "Vervaldatum", "en": "Due date"},
    },
)

register(
    {
        "collection_failed": Template(
            subject={
                "nl": "Incasso van factuur {number} is mislukt",
                "en": "Direct debit of invoice {number} failed",
            },
            body={
                "nl": "Beste {name},\n\nWe konden {amount} voor factuur {number} niet van je "
                "rekening afschrijven. We proberen het niet opnieuw. " + _HOW_TO_PAY["nl"],
                "en": "Dear {name},\n\nWe could not collect {amount} for invoice {number} from "
                "your account. We will not try again. " + _HOW_TO_PAY["en"],
            },
        ),
        "invoice_reminder": Template(
            subject={
                "nl": "Herinnering: factuur {number} is nog niet betaald",
                "en": "Reminder: invoice {number} has not been paid",
            },
            body={
                "nl": "Beste {name},\n\n{text}\n\n{how_to_pay} Of scan de QR-code in de "
                "bijgevoegde brief met je bankapp.",
                "en": "Dear {name},\n\n{text}\n\n{how_to_pay} Or scan the QR code in the "
                "attached letter with your banking app.",
            },
        ),
        "invoice_formal_notice": Template(
            subject={
                "nl": "Ingebrekestelling: factuur {number}",
                "en": "Formal notice: invoice {number}",
            },
            body={
                "nl": "Beste {name},\n\n{text}\n\n{how_to_pay} Of scan de QR-code in de "
                "bijgevoegde brief met je bankapp.",
                "en": "Dear {name},\n\n{text}\n\n{how_to_pay} Or scan the QR code in the "
                "attached letter with your banking app.",
            },
        ),
        "invoice_reminder_letter": Template(
            subject={"nl": "Herinnering factuur {number}", "en": "Reminder invoice {number}"},
            body={"nl": "Herinnering factuur {number}", "en": "Reminder invoice {number}"},
        ),
        "invoice_formal_notice_letter": Template(
            subject={"nl": "Ingebrekestelling factuur {number}", "en": "Formal notice {number}"},
            body={"nl": "Ingebrekestelling factuur {number}", "en": "Formal notice {number}"},
        ),
    }
)
