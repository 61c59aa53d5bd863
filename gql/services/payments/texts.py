"""Texts and mails of payments: top-ups, the return page, the payment method."""

from __future__ import annotations

from gql.i18n import texts
from gql.mail.templates import Template, register

TEXTS = texts(
    __name__,
    {
        "top_up_minimum": {
            "nl": "Stort minstens {minimum}.",
            "en": "Top up at least {minimum}.",
        },
        "top_up_maximum": {
            "nl": "Stort hoogstens {maximum} per keer.",
            "en": "Top up at most {maximum} at a time.",
        },
        "top_up_on_direct_debit": {
            "nl": "Je betaalt met automatische incasso; storten kan alleen als je met je "
            "tegoed betaalt. Je huidige tegoed blijft van jou en je kunt het terugvragen.",
            "en": "You pay by direct debit; topping up is only possible when you pay from your "
            "balance. Your current balance stays yours and you can ask it back.",
        },
        "return_url_not_allowed": {
            "nl": "Dit adres is niet toegestaan om naar terug te keren na het betalen.",
            "en": "This address is not allowed to return to after paying.",
        },
        "payment_provider_unavailable": {
            "nl": "De betaaldienst is nu niet bereikbaar. Er is niets afgeschreven; probeer "
            "het over een paar minuten opnieuw.",
            "en": "The payment service cannot be reached now. Nothing was charged; please try "
            "again in a few minutes.",
        },
        "top_up_started": {
            "nl": "Betaal {amount} op de betaalpagina. Je tegoed stijgt zodra de betaling is "
            "bevestigd.",
            "en": "Pay {amount} on the payment page. Your balance rises as soon as the "
            "payment is confirmed.",
        },
        "business_pays_by_direct_debit": {
            "nl": "Een organisatie betaalt met automatische incasso.",
            "en": "An organisation pays by direct debit.",
        },
        "mandate_only_for_direct_debit": {
            "nl": "Een machtiging hoort alleen bij automatische incasso.",
            "en": "A mandate belongs to direct debit only.",
        },
        # The return page (/betaling/{id}).
        "return_title": {"nl": "Je betaling", "en": "Your payment"},
        "return_paid": {
            "nl": "Je betaling van {amount} is ontvangen. Dank je wel.",
            "en": "Your payment of {amount} was received. Thank you.",
        },
        "return_open": {
            "nl": "We wachten nog op de bevestiging van je betaling van {amount}. Deze pagina "
            "ververst vanzelf.",
            "en": "We are waiting for the confirmation of your payment of {amount}. This page "
            "refreshes by itself.",
        },
        "return_not_paid": {
            "nl": "Je betaling van {amount} is niet gelukt ({status}). Er is niets afgeschreven.",
            "en": "Your payment of {amount} did not go through ({status}). Nothing was charged.",
        },
        "return_state_canceled": {"nl": "geannuleerd", "en": "cancelled"},
        "return_state_failed": {"nl": "mislukt", "en": "failed"},
        "return_state_expired": {"nl": "verlopen", "en": "expired"},
        "return_unknown": {
            "nl": "Deze betaling kennen we niet.",
            "en": "We do not know this payment.",
        },
        "return_back": {"nl": "Terug naar Toegang", "en": "Back to Toegang"},
    },
)

MAILS = register(
    {
        "top_up_received": Template(
            subject={"nl": "Je tegoed is aangevuld", "en": "Your balance was topped up"},
            body={
                "nl": "Beste {name},\n\nWe hebben je storting van {amount} ontvangen op {at}. "
                "Je tegoed is nu {balance}.",
                "en": "Dear {name},\n\nWe received your top-up of {amount} on {at}. Your "
                "balance is now {balance}.",
            },
        ),
        "payment_method_balance": Template(
            subject={
                "nl": "Je betaalt weer met je tegoed",
                "en": "You pay from your balance again",
            },
            body={
                "nl": "Beste {name},\n\nOp {at} is je betaalwijze gewijzigd: je betaalt je "
                "bestellingen weer met je tegoed. Je machtiging voor automatische incasso wordt "
                "niet meer gebruikt voor nieuwe bestellingen.",
                "en": "Dear {name},\n\nOn {at} your payment method was changed: you pay your "
                "orders from your balance again. Your direct-debit mandate is no longer used "
                "for new orders.",
            },
            confirms_a_change=True,
        ),
    }
)
