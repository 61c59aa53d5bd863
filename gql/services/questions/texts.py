"""Texts and mails of questions to the service centre (Dutch and English)."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

TEXTS = texts(
    __name__,
    {
        # The topics of the question form, as the form shows them.
        "topic_access_code": {
            "nl": "Toegangscode en inloggen",
            "en": "Access code and signing in",
        },
        "topic_orders_and_invoices": {
            "nl": "Bestellingen en facturen",
            "en": "Orders and invoices",
        },
        "topic_invoice_address": {
            "nl": "Bestellingen en facturen: factuuradres niet aangepast",
            "en": "Orders and invoices: invoice address not updated",
        },
        "topic_payment_method": {
            "nl": "Betaalwijze en tegoed",
            "en": "Payment method and balance",
        },
        "topic_annual_accounts": {
            "nl": "Jaarrekening deponeren",
            "en": "Filing annual accounts",
        },
        "topic_other": {"nl": "Overige vragen", "en": "Other questions"},
        "question_too_short": {
            "nl": "Beschrijf je vraag in minstens {minimum} tekens.",
            "en": "Please describe your question in at least {minimum} characters.",
        },
        "invoice_addresses_required": {
            "nl": "Geef het oude én het nieuwe factuuradres op.",
            "en": "Please give both the old and the new invoice address.",
        },
        "invoice_addresses_equal": {
            "nl": "Het nieuwe factuuradres is gelijk aan het oude.",
            "en": "The new invoice address is the same as the old one.",
        },
        "address_not_for_topic": {
            "nl": "Een oud en nieuw adres horen alleen bij het onderwerp 'Bestellingen en "
            "facturen: factuuradres niet aangepast'.",
            "en": "An old and a new address belong only to the topic 'Orders and invoices: "
            "invoice address not updated'.",
        },
        "question_already_answered": {
            "nl": "Deze vraag is al beantwoord.",
            "en": "This question has already been answered.",
        },
        "question_asked": {
            "nl": "We hebben je vraag ontvangen. Het antwoord krijg je per e-mail en staat "
            "ook bij je vragen.",
            "en": "We received your question. The answer comes by e-mail and also shows with "
            "your questions.",
        },
        "question_addresses": {
            "nl": "\n\nOud factuuradres: {old}\nNieuw factuuradres: {new}",
            "en": "\n\nOld invoice address: {old}\nNew invoice address: {new}",
        },
    },
)

MAILS = register(
    {
        "question_received": Template(
            subject={
                "nl": "We hebben je vraag ontvangen",
                "en": "We received your question",
            },
            body={
                "nl": "Beste {name},\n\nOp {at} stelde je het servicecenter een vraag over "
                "'{topic}':\n\n{text}{addresses}\n\nJe krijgt het antwoord per e-mail; het "
                "staat dan ook bij je vragen.",
                "en": "Dear {name},\n\nOn {at} you asked the service centre a question about "
                "'{topic}':\n\n{text}{addresses}\n\nThe answer will come by e-mail and will "
                "then also show with your questions.",
            },
        ),
        "question_answered": Template(
            subject={
                "nl": "Antwoord op je vraag aan het servicecenter",
                "en": "The answer to your question to the service centre",
            },
            body={
                "nl": "Beste {name},\n\nOp {asked_at} vroeg je ons over '{topic}':\n\n{text}"
                "{addresses}\n\nOns antwoord:\n\n{answer}",
                "en": "Dear {name},\n\nOn {asked_at} you asked us about '{topic}':\n\n{text}"
                "{addresses}\n\nOur answer:\n\n{answer}",
            },
        ),
    }
)
