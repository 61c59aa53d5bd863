"""Texts shown to people, in Dutch (default) and English (`Accept-Language: en`)."""

from __future__ import annotations

LANGUAGES = ("nl", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "internal": {
        "nl": "Er ging iets mis. Neem contact op met het servicecenter en noem referentie {reference}.",
        "en": "Something went wrong. Please contact the service centre quoting reference {reference}.",
    },
    "invalid_input": {
        "nl": "De invoer klopt niet. Controleer de gemarkeerde velden.",
        "en": "The input is not valid. Please check the marked fields.",
    },
    "invalid_credentials": {
        "nl": "De combinatie van toegangscode en wachtwoord (en verificatiecode) is onjuist.",
        "en": "The combination of access code and password (and verification code) is incorrect.",
    },
    "invalid_current_password": {
        "nl": "Het huidige wachtwoord is onjuist.",
        "en": "The current password is incorrect.",
    },
    "invalid_token": {
        "nl": "Deze link is ongeldig, al gebruikt of verlopen. Vraag een nieuwe aan.",
        "en": "This link is invalid, already used or expired. Please request a new one.",
    },
    "not_found": {"nl": "Niet gevonden.", "en": "Not found."},
    "invalid_state": {
        "nl": "Dit kan niet meer: de aanvraag is al afgehandeld.",
        "en": "This is no longer possible: the request has already been handled.",
    },
    "unauthenticated": {
        "nl": "Je bent niet ingelogd of je sessie is verlopen. Log opnieuw in.",
        "en": "You are not signed in or your session has expired. Please sign in again.",
    },
    "forbidden": {
        "nl": "Je hebt geen toegang tot deze gegevens of handeling.",
        "en": "You are not allowed to see this data or perform this action.",
    },
    "rate_limited": {
        "nl": "Te veel pogingen. Probeer het opnieuw na {retry_after}.",
        "en": "Too many attempts. Please try again after {retry_after}.",
    },
    "too_many_password_fields": {
        "nl": "Een verzoek mag hoogstens één veld bevatten dat een wachtwoord controleert.",
        "en": "A request may contain at most one field that checks a password.",
    },
    "csrf_preflight_required": {
        "nl": "Dit verzoek heeft de header GraphQL-Require-Preflight: 1 nodig.",
        "en": "This request needs the header GraphQL-Require-Preflight: 1.",
    },
    "timeout": {
        "nl": "Het verzoek duurde te lang en is afgebroken.",
        "en": "The request took too long and was stopped.",
    },
    "body_too_large": {
        "nl": "Het verzoek is te groot.",
        "en": "The request is too large.",
    },
    # Field problems.
    "required": {"nl": "Dit veld is verplicht.", "en": "This field is required."},
    "control_characters": {
        "nl": "Dit veld bevat onzichtbare of stuurtekens.",
        "en": "This field contains invisible or control characters.",
    },
    "too_long": {
        "nl": "Dit veld mag hoogstens {maximum} tekens bevatten.",
        "en": "This field may contain at most {maximum} characters.",
    },
    "email_invalid": {
        "nl": "Dit is geen geldig e-mailadres.",
        "en": "This is not a valid e-mail address.",
    },
    "kvk_number_format": {
        "nl": "Een KVK-nummer bestaat uit 8 cijfers.",
        "en": "A KVK number consists of 8 digits.",
    },
    "kvk_number_unknown": {
        "nl": "Dit KVK-nummer staat niet in het Handelsregister.",
        "en": "This KVK number is not in the trade register.",
    },
    "not_for_private": {
        "nl": "Dit veld hoort niet bij particulier gebruik.",
        "en": "This field does not apply to private use.",
    },
    "mandate_required": {
        "nl": "Deze organisatie heeft nog geen machtiging voor automatische incasso; geef die op.",
        "en": "This organisation has no direct-debit mandate yet; please provide one.",
    },
    "iban_invalid": {
        "nl": "Dit IBAN is ongeldig: {reason}",
        "en": "This IBAN is not valid: {reason}",
    },
    "consent_required": {
        "nl": "Geef toestemming voor de automatische incasso.",
        "en": "Please consent to the direct debit.",
    },
    "password_too_short": {
        "nl": "Het wachtwoord moet minstens {minimum} tekens lang zijn.",
        "en": "The password must be at least {minimum} characters long.",
    },
    "password_too_long": {
        "nl": "Het wachtwoord mag hoogstens {maximum} tekens lang zijn.",
        "en": "The password may be at most {maximum} characters long.",
    },
    "password_common": {
        "nl": "Dit wachtwoord komt voor in lijsten van veelgebruikte wachtwoorden.",
        "en": "This password appears in lists of commonly used passwords.",
    },
    "password_personal": {
        "nl": "Het wachtwoord mag je naam, e-mailadres of toegangscode niet bevatten.",
        "en": "The password must not contain your name, e-mail address or access code.",
    },
    "password_predictable": {
        "nl": "Dit wachtwoord is te voorspelbaar. Kies bijvoorbeeld een zin van enkele woorden.",
        "en": "This password is too predictable. Try a sentence of several words.",
    },
    "password_same": {
        "nl": "Het nieuwe wachtwoord moet anders zijn dan het huidige.",
        "en": "The new password must differ from the current one.",
    },
    "totp_format": {
        "nl": "Een verificatiecode bestaat uit 6 cijfers.",
        "en": "A verification code consists of 6 digits.",
    },
    "page_size": {
        "nl": "Vraag hoogstens {maximum} items per pagina op.",
        "en": "Ask for at most {maximum} items per page.",
    },
    "cursor_invalid": {"nl": "Deze cursor is ongeldig.", "en": "This cursor is not valid."},
    "id_invalid": {"nl": "Dit id is ongeldig.", "en": "This id is not valid."},
    "reason_required": {
        "nl": "Geef een reden op voor de afwijzing.",
        "en": "Please give a reason for the rejection.",
    },
    "postal_code_invalid": {
        "nl": "Een postcode bestaat uit 4 cijfers en 2 letters, zoals 1234 AB.",
        "en": "A postal code consists of 4 digits and 2 letters, such as 1234 AB.",
    },
    # Payload texts.
    "private_code_sent": {
        "nl": "Je toegangscode is per e-mail verstuurd naar {email}.",
        "en": "Your access code has been sent by e-mail to {email}.",
    },
    "business_request_received": {
        "nl": "We controleren je aanvraag. Je ontvangt de toegangscode uiterlijk {expected_by} "
        "per e-mail of per post.",
        "en": "We are checking your request. You will receive the access code by {expected_by} "
        "by e-mail or by post.",
    },
    "reset_requested": {
        "nl": "Als deze toegangscode bij ons bekend is, ontvang je een e-mail met een link om je "
        "wachtwoord opnieuw in te stellen.",
        "en": "If we know this access code, you will receive an e-mail with a link to reset "
        "your password.",
    },
    "new_code_requested": {
        "nl": "Als deze gegevens bij ons bekend zijn, ontvang je een e-mail met een link om een "
        "nieuwe toegangscode aan te vragen.",
        "en": "If we know these details, you will receive an e-mail with a link to request a "
        "new access code.",
    },
    "new_code_by_email": {
        "nl": "Je nieuwe toegangscode is per e-mail verstuurd. De oude werkt niet meer.",
        "en": "Your new access code has been sent by e-mail. The old one no longer works.",
    },
    "new_code_by_post": {
        "nl": "Je nieuwe toegangscode wordt per post verstuurd. De oude werkt niet meer.",
        "en": "Your new access code will be sent by post. The old one no longer works.",
    },
    "password_changed": {
        "nl": "Je wachtwoord is gewijzigd. Andere sessies zijn beëindigd.",
        "en": "Your password has been changed. Other sessions have been ended.",
    },
    "password_reset_done": {
        "nl": "Je wachtwoord is ingesteld. Log in met je nieuwe wachtwoord.",
        "en": "Your password has been set. Please sign in with your new password.",
    },
}


def negotiate(accept_language: str | None) -> str:
    """'en' when the client prefers English, otherwise Dutch."""
    best, best_q = "nl", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def text(key: str, language: str, **params: object) -> str:
    """The message `key` in `language`, with its parameters filled in."""
    entry = MESSAGES.get(key) or MESSAGES["internal"]
    template = entry.get(language) or entry["nl"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
