"""Texts and mails of the invoices domain."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

TEXTS = texts(
    __name__,
    {
        "invoice_not_found": {
            "nl": "We vinden geen factuur met dit nummer voor jou. Let op: een aankoop met "
            "iDEAL of creditcard (het digitaal gewaarmerkt uittreksel zonder toegangscode) "
            "heeft geen factuur en er kan ook geen kopiefactuur voor worden gestuurd; je bank- "
            "of creditcardafschrift is het bewijs van betaling.",
            "en": "We find no invoice with this number for you. Note: a purchase paid with "
            "iDEAL or a credit card (the digitally certified extract without an access code) "
            "has no invoice, and no copy invoice can be sent for it; your bank or card "
            "statement is the proof of payment.",
        },
        "invoice_number_format": {
            "nl": "Een factuurnummer ziet eruit als 2026-000123 (jaar, streepje, zes cijfers).",
            "en": "An invoice number looks like 2026-000123 (year, hyphen, six digits).",
        },
        "invoice_email_mismatch": {
            "nl": "Deze gegevens passen niet bij de digitale facturen van je organisatie. "
            "Controleer het oude e-mailadres voor facturen en het KVK-nummer. Krijg je je "
            "facturen nog per post? Vraag dan eerst digitale facturen aan.",
            "en": "These details do not match the digital invoices of your organisation. "
            "Check the old invoice e-mail address and the KVK number. Do you still get your "
            "invoices by post? Then request digital invoices first.",
        },
        "invoice_month_format": {
            "nl": "Geef een maand als JJJJ-MM, bijvoorbeeld 2026-10.",
            "en": "Give a month as YYYY-MM, for example 2026-10.",
        },
        "invoice_month_not_ended": {
            "nl": "Deze maand is nog niet voorbij; alleen een afgelopen maand wordt gefactureerd.",
            "en": "This month has not ended yet; only a month that has ended is invoiced.",
        },
        "digital_invoices_requested": {
            "nl": "Vanaf nu krijg je de facturen van je organisatie per e-mail op {email}. "
            "We hebben een bevestiging gestuurd.",
            "en": "From now on the invoices of your organisation are e-mailed to {email}. "
            "We sent a confirmation.",
        },
        "invoice_email_changed": {
            "nl": "Facturen gaan vanaf nu naar {email}. Het oude en het nieuwe adres hebben een "
            "bevestiging gekregen.",
            "en": "Invoices now go to {email}. The old and the new address got a confirmation.",
        },
        "invoice_copy_sent": {
            "nl": "De kopiefactuur {number} is als pdf gemaild naar {email}.",
            "en": "The copy invoice {number} was e-mailed as a PDF to {email}.",
        },
        "invoice_run_requested": {
            "nl": "De facturering van {month} staat klaar voor de verwerking.",
            "en": "Invoicing {month} is queued for processing.",
        },
        # Lines printed on invoices (not on orders, whose product names come from the catalog).
        "invoice_note_paid": {
            "nl": "Dit bedrag is al betaald; het staat op je tegoed.",
            "en": "This amount has been paid already; it is on your balance.",
        },
        "invoice_note_direct_debit": {
            "nl": "We schrijven het bedrag op {date} af van rekening {iban} (machtiging "
            "{reference}). Je hoeft zelf niets te doen.",
            "en": "We collect the amount on {date} from account {iban} (mandate {reference}). "
            "You need not do anything.",
        },
        "invoice_line_top_up": {
            "nl": "Tegoed storten",
            "en": "Balance top-up",
        },
    },
)

MAILS = register(
    {
        "invoice_issued": Template(
            subject={"nl": "Factuur {number}", "en": "Invoice {number}"},
            body={
                "nl": "Beste {name},\n\nIn de bijlage vind je factuur {number} van {date} "
                "voor {payer}. Het bedrag is {amount}; er wordt geen btw berekend.\n\n"
                "{payment_note}",
                "en": "Dear {name},\n\nAttached is invoice {number} of {date} for {payer}. "
                "The amount is {amount}; no VAT is charged.\n\n{payment_note}",
            },
        ),
        "invoice_copy": Template(
            subject={"nl": "Kopiefactuur {number}", "en": "Copy of invoice {number}"},
            body={
                "nl": "Beste {name},\n\nJe vroeg om een kopie van factuur {number} van {date}. "
                "Je vindt de factuur als pdf in de bijlage.",
                "en": "Dear {name},\n\nYou asked for a copy of invoice {number} of {date}. "
                "The invoice is attached as a PDF.",
            },
        ),
        # A letter whose content is the stored invoice PDF (this text is not printed).
        "invoice_letter": Template(
            subject={"nl": "Factuur {number}", "en": "Invoice {number}"},
            body={
                "nl": "Factuur {number} voor {payer}.",
                "en": "Invoice {number} for {payer}.",
            },
        ),
        "digital_invoices_confirmed": Template(
            subject={
                "nl": "Je ontvangt je facturen voortaan per e-mail",
                "en": "Your invoices will come by e-mail",
            },
            body={
                "nl": "Beste {name},\n\nVoor {company} (KVK-nummer {kvk_number}) zijn op {at} "
                "digitale facturen aangevraagd. Vanaf nu sturen we de facturen als pdf naar "
                "{email} in plaats van per post.",
                "en": "Dear {name},\n\nOn {at} digital invoices were requested for {company} "
                "(KVK number {kvk_number}). From now on we send the invoices as PDF to {email} "
                "instead of by post.",
            },
            confirms_a_change=True,
        ),
        "invoice_email_changed": Template(
            subject={
                "nl": "E-mailadres voor facturen gewijzigd",
                "en": "Invoice e-mail address changed",
            },
            body={
                "nl": "Beste {name},\n\nHet e-mailadres voor de digitale facturen van "
                "{company} (KVK-nummer {kvk_number}) is op {at} gewijzigd.\n\n"
                "Nieuw e-mailadres: {new_email}\nOud e-mailadres: {old_email}\n"
                "KVK-nummer: {kvk_number}",
                "en": "Dear {name},\n\nThe e-mail address for the digital invoices of "
                "{company} (KVK number {kvk_number}) was changed on {at}.\n\n"
                "New e-mail address: {new_email}\nOld e-mail address: {old_email}\n"
                "KVK number: {kvk_number}",
            },
            confirms_a_change=True,
        ),
    }
)
