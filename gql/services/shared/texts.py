"""Texts of the shared errors and input rules, in Dutch and English."""

from __future__ import annotations

from gql.i18n import texts

TEXTS = texts(
    __name__,
    {
        "invalid_input": {
            "nl": "De invoer klopt niet. Controleer de gemarkeerde velden.",
            "en": "The input is not valid. Please check the marked fields.",
        },
        "not_found": {"nl": "Niet gevonden.", "en": "Not found."},
        "invalid_state": {
            "nl": "Dit kan nu niet.",
            "en": "This is not possible now.",
        },
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
        "email_one_address": {
            "nl": (
                "Vul één e-mailadres in, zoals naam@voorbeeld.nl: zonder naam, spaties, "
                "komma's, aanhalingstekens of haakjes."
            ),
            "en": (
                "Enter one e-mail address, such as name@example.com: without a name, spaces, "
                "commas, quotes or brackets."
            ),
        },
        "kvk_number_format": {
            "nl": "Een KVK-nummer bestaat uit 8 cijfers.",
            "en": "A KVK number consists of 8 digits.",
        },
        "postal_code_invalid": {
            "nl": "Een postcode bestaat uit 4 cijfers en 2 letters, zoals 1234 AB.",
            "en": "A postal code consists of 4 digits and 2 letters, such as 1234 AB.",
        },
    },
)
