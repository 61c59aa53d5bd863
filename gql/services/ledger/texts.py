"""Texts and mails of the balance and its refunds (Dutch and English)."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

TEXTS = texts(
    __name__,
    {
        "insufficient_balance": {
            "nl": "Je beschikbare tegoed is {available}; hiervoor is {required} nodig.",
            "en": "Your available balance is {available}; this needs {required}.",
        },
        "amount_positive": {
            "nl": "Het bedrag moet groter zijn dan nul.",
            "en": "The amount must be more than zero.",
        },
        "entry_top_up": {"nl": "Storting", "en": "Top-up"},
        "entry_order": {"nl": "Bestelling", "en": "Order"},
        "entry_refund_hold": {
            "nl": "Apart gehouden voor terugstorting",
            "en": "Held for a refund",
        },
        "entry_hold_release": {
            "nl": "Terugstorting afgewezen: weer beschikbaar",
            "en": "Refund rejected: available again",
        },
        "entry_refund_payout": {"nl": "Terugstorting", "en": "Refund"},
        "entry_payout_returned": {
            "nl": "Terugstorting kwam terug van de bank",
            "en": "Refund returned by the bank",
        },
        "entry_correction": {"nl": "Correctie", "en": "Correction"},
        "refund_already_decided": {
            "nl": "Over dit verzoek is al besloten.",
            "en": "This request has already been decided.",
        },
        "no_refunds_to_pay_out": {
            "nl": "Er zijn geen goedgekeurde terugstortingen die nog niet zijn uitbetaald.",
            "en": "There are no approved refunds that have not been paid out yet.",
        },
        "execution_date_past": {
            "nl": "De uitvoerdatum ligt in het verleden.",
            "en": "The execution date is in the past.",
        },
        "execution_date_too_far": {
            "nl": "De uitvoerdatum ligt meer dan {days} dagen vooruit.",
            "en": "The execution date is more than {days} days ahead.",
        },
        "refund_payouts_created": {
            "nl": "Betaalbestand {message_id} gemaakt: {count} terugstortingen, samen {total}.",
            "en": "Payment file {message_id} made: {count} refunds, {total} in total.",
        },
        # The remittance text on the customer's bank statement (the SEPA character set).
        "payout_remittance": {
            "nl": "KVK toegangscode: terugstorting tegoed {reference}",
            "en": "KVK access code: balance refund {reference}",
        },
        # Why the bank returned a refund (its reason code), as the customer reads it.
        "return_reason_wrong_account": {
            "nl": "het rekeningnummer klopt niet",
            "en": "the account number is wrong",
        },
        "return_reason_closed_account": {
            "nl": "de rekening is opgeheven",
            "en": "the account has been closed",
        },
        "return_reason_blocked_account": {
            "nl": "de rekening is geblokkeerd",
            "en": "the account is blocked",
        },
        "return_reason_not_allowed": {
            "nl": "deze rekening kan geen overboekingen ontvangen",
            "en": "this account cannot receive transfers",
        },
        "return_reason_deceased": {
            "nl": "de rekeninghouder is overleden",
            "en": "the account holder has died",
        },
        "return_reason_wrong_holder": {
            "nl": "de naam past niet bij het rekeningnummer",
            "en": "the name does not match the account number",
        },
        "return_reason_other": {
            "nl": "de bank gaf reden {code}",
            "en": "the bank gave reason {code}",
        },
        "refund_requested": {
            "nl": "We houden {amount} apart en beoordelen je verzoek. Je krijgt bericht per "
            "e-mail.",
            "en": "We set {amount} aside and review your request. You will hear from us by e-mail.",
        },
    },
)

MAILS = register(
    {
        "refund_requested": Template(
            subject={
                "nl": "Je hebt tegoed teruggevraagd",
                "en": "You asked for your balance back",
            },
            body={
                "nl": "Beste {name},\n\nOp {at} is gevraagd {amount} van je tegoed terug te "
                "storten op rekening {iban_masked} ({holder}). We houden dat bedrag apart tot "
                "we erover hebben besloten.",
                "en": "Dear {name},\n\nOn {at} a refund of {amount} of your balance to account "
                "{iban_masked} ({holder}) was requested. We hold that amount until we have "
                "decided.",
            },
            confirms_a_change=True,
        ),
        "refund_approved": Template(
            subject={"nl": "Je terugstorting is goedgekeurd", "en": "Your refund was approved"},
            body={
                "nl": "Beste {name},\n\nWe storten {amount} terug op rekening {iban_masked}. "
                "Het bedrag staat binnen enkele werkdagen op je rekening.",
                "en": "Dear {name},\n\nWe transfer {amount} to account {iban_masked}. It "
                "reaches your account within a few working days.",
            },
        ),
        "refund_rejected": Template(
            subject={
                "nl": "Je verzoek om terugstorting is afgewezen",
                "en": "Your refund request was rejected",
            },
            body={
                "nl": "Beste {name},\n\nWe kunnen {amount} niet terugstorten: {reason}\n\n"
                "Het bedrag is weer beschikbaar in je tegoed.",
                "en": "Dear {name},\n\nWe cannot refund {amount}: {reason}\n\nThe amount is "
                "available in your balance again.",
            },
        ),
        "refund_returned": Template(
            subject={
                "nl": "Je terugstorting kwam terug van de bank",
                "en": "Your refund was returned by the bank",
            },
            body={
                "nl": "Beste {name},\n\nWe konden {amount} niet overmaken naar rekening "
                "{iban_masked}: {reason}. Het bedrag staat weer in je tegoed. Vraag het opnieuw "
                "terug met een rekeningnummer dat op jouw naam staat.",
                "en": "Dear {name},\n\nWe could not transfer {amount} to account "
                "{iban_masked}: {reason}. The amount is back in your balance. Please ask for it "
                "again with an account number in your name.",
            },
        ),
    }
)
