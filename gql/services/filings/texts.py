"""Texts and mails of the filings domain (annual reports), in Dutch and English."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

TEXTS = texts(
    __name__,
    {
        "document_required": {
            "nl": "Voeg de jaarrekening toe als bestand (pdf, XBRL of zip).",
            "en": "Attach the annual accounts as a file (PDF, XBRL or ZIP).",
        },
        "document_empty": {"nl": "Dit bestand is leeg.", "en": "This file is empty."},
        "financial_year_not_ended": {
            "nl": "Dit boekjaar is nog niet afgelopen; deponeren kan na het einde van het boekjaar.",
            "en": "This financial year has not ended yet; filing is possible once it has.",
        },
        "filing_received": {
            "nl": "Je jaarrekening over het boekjaar tot en met {year_end} is gedeponeerd "
            "(versie {version}). Je ontvangt een ontvangstbevestiging per e-mail.",
            "en": "Your annual accounts for the financial year ending {year_end} have been "
            "filed (version {version}). A receipt is on its way by e-mail.",
        },
    },
)

MAILS = register(
    {
        "annual_report_receipt": Template(
            subject={
                "nl": "Ontvangstbevestiging jaarrekening {company_name}",
                "en": "Receipt for the annual accounts of {company_name}",
            },
            body={
                "nl": "Beste {name},\n\nWe hebben de jaarrekening ontvangen en gedeponeerd.\n\n"
                "Onderneming: {company_name} (KVK-nummer {kvk_number})\n"
                "Boekjaar tot en met: {year_end}\nVersie: {version}\nVorm: {format}\n"
                "Grootte: {size} bytes\nSHA-256: {sha256}\nOntvangen op: {filed_at}\n\n"
                "Met de SHA-256 kun je controleren dat het bestand dat wij bewaren precies het "
                "bestand is dat je hebt gestuurd.",
                "en": "Dear {name},\n\nWe have received and filed the annual accounts.\n\n"
                "Company: {company_name} (KVK number {kvk_number})\n"
                "Financial year ending: {year_end}\nVersion: {version}\nForm: {format}\n"
                "Size: {size} bytes\nSHA-256: {sha256}\nReceived on: {filed_at}\n\n"
                "With the SHA-256 you can check that the file we keep is exactly the file you "
                "sent.",
            },
        ),
        "annual_report_reminder": Template(
            subject={
                "nl": "Herinnering: jaarrekening {company_name} uiterlijk {deadline}",
                "en": "Reminder: annual accounts of {company_name} due {deadline}",
            },
            body={
                "nl": "Beste {name},\n\nDe jaarrekening van {company_name} (KVK-nummer "
                "{kvk_number}) over het boekjaar tot en met {year_end} moet uiterlijk "
                "{deadline} gedeponeerd zijn. We hebben die nog niet ontvangen.\n\n"
                "Deponeren kan met je toegangscode, ook door andere codes van je organisatie.",
                "en": "Dear {name},\n\nThe annual accounts of {company_name} (KVK number "
                "{kvk_number}) for the financial year ending {year_end} must be filed by "
                "{deadline}. We have not received them yet.\n\nYou can file them with your "
                "access code, as can the other codes of your organisation.",
            },
        ),
    }
)
