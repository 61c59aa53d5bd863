"""Texts of the accounts domain: errors, input problems and answers, in Dutch and English."""

from __future__ import annotations

from gql.i18n import texts

TEXTS = texts(
    __name__,
    {
        # Errors.
        "invalid_credentials": {
            "nl": "De combinatie van toegangscode en wachtwoord (en verificatiecode) is onjuist.",
            "en": "The combination of access code and password (and verification code) is "
            "incorrect.",
        },
        "invalid_token": {
            "nl": "Deze link is ongeldig, al gebruikt of verlopen. Vraag een nieuwe aan.",
            "en": "This link is invalid, already used or expired. Please request a new one.",
        },
        "request_already_decided": {
            "nl": "Dit kan niet meer: de aanvraag is al afgehandeld.",
            "en": "This is no longer possible: the request has already been handled.",
        },
        "applicant_has_code": {
            "nl": "Deze persoon heeft al een actieve toegangscode voor deze organisatie.",
            "en": "This person already holds an active access code for this organisation.",
        },
        "not_a_business_code": {
            "nl": "Dit is geen toegangscode van een organisatie (zakelijk gebruik).",
            "en": "This is not an access code of an organisation (business use).",
        },
        "code_already_inactive": {
            "nl": "Deze toegangscode is al stopgezet.",
            "en": "This access code has already been deactivated.",
        },
        "code_inactive": {
            "nl": "Deze toegangscode is stopgezet en kan geen hoofdgebruiker worden.",
            "en": "This access code has been deactivated and cannot become the main user.",
        },
        "main_user_needs_successor": {
            "nl": "Dit is de hoofdgebruiker van de organisatie. Wijs eerst een andere actieve "
            "toegangscode aan als hoofdgebruiker.",
            "en": "This is the organisation's main user. First name another active access code "
            "the main user.",
        },
        "already_main_user": {
            "nl": "Deze toegangscode is al de hoofdgebruiker van de organisatie.",
            "en": "This access code already is the organisation's main user.",
        },
        # Input problems.
        "invalid_current_password": {
            "nl": "Het huidige wachtwoord is onjuist.",
            "en": "The current password is incorrect.",
        },
        "not_for_private": {
            "nl": "Dit veld hoort niet bij particulier gebruik.",
            "en": "This field does not apply to private use.",
        },
        "mandate_required": {
            "nl": "Deze organisatie heeft nog geen machtiging voor automatische incasso; geef "
            "die op.",
            "en": "This organisation has no direct-debit mandate yet; please provide one.",
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
            "nl": "Dit wachtwoord is te voorspelbaar. Kies bijvoorbeeld een zin van enkele "
            "woorden.",
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
        # Parts of mails.
        "sent_by_post": {"nl": "per post", "en": "by post"},
        "sent_by_email": {"nl": "in een aparte e-mail", "en": "in a separate e-mail"},
        "organisation_addressee": {
            "nl": "T.a.v. de directie",
            "en": "For the attention of the board",
        },
        "last_code_deactivated": {
            "nl": "\n\nDit was de hoofdgebruiker en de laatste actieve toegangscode van de "
            "organisatie. Vraag een nieuwe toegangscode aan; de eerste die wij uitgeven wordt de "
            "hoofdgebruiker.",
            "en": "\n\nThis was the main user and the organisation's last active access code. "
            "Please apply for a new access code; the first one we issue becomes the main user.",
        },
        "previous_main_user": {
            "nl": " Daarvoor was dat toegangscode {masked_code} van {name}.",
            "en": " Before, it was access code {masked_code} of {name}.",
        },
        # Answers.
        "private_code_sent": {
            "nl": "Je toegangscode is per e-mail verstuurd naar {email}.",
            "en": "Your access code has been sent by e-mail to {email}.",
        },
        "business_request_received": {
            "nl": "We controleren je aanvraag. Je ontvangt de toegangscode uiterlijk "
            "{expected_by} per e-mail of per post.",
            "en": "We are checking your request. You will receive the access code by "
            "{expected_by} by e-mail or by post.",
        },
        "reset_requested": {
            "nl": "Als deze toegangscode bij ons bekend is, ontvang je een e-mail met een link "
            "om je wachtwoord opnieuw in te stellen.",
            "en": "If we know this access code, you will receive an e-mail with a link to reset "
            "your password.",
        },
        "new_code_requested": {
            "nl": "Als deze gegevens bij ons bekend zijn, ontvang je een e-mail met een link om "
            "een nieuwe toegangscode aan te vragen.",
            "en": "If we know these details, you will receive an e-mail with a link to request "
            "a new access code.",
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
        "device_name_invalid": {
            "nl": "Geef het apparaat een naam van 1 tot 64 tekens; die zie je terug in je "
            "overzicht van sessies.",
            "en": "Give the device a name of 1 to 64 characters; you will see it in your list "
            "of sessions.",
        },
        "device_session_staff": {
            "nl": "Medewerkers kunnen geen app-sessie starten: log in met een cookiesessie.",
            "en": "Staff cannot start an app session: sign in with a cookie session.",
        },
        "session_ended": {
            "nl": "Deze sessie is beëindigd of verlopen. Log opnieuw in.",
            "en": "This session has ended or expired. Please sign in again.",
        },
        "password_reset_done": {
            "nl": "Je wachtwoord is ingesteld. Log in met je nieuwe wachtwoord.",
            "en": "Your password has been set. Please sign in with your new password.",
        },
    },
)
