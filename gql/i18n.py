"""Texts shown to people, in Dutch (default) and English (`Accept-Language: en`).

Each domain keeps its own texts next to its code and registers them with `texts({...})`;
this module holds only the texts of the HTTP layer itself. A key is registered once.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("nl", "en")

Texts = Mapping[str, Mapping[str, str]]
MESSAGES: dict[str, Mapping[str, str]] = {}
#: key -> the module that registered it (for the registry test).
OWNERS: dict[str, str] = {}


def texts(owner: str, entries: Texts) -> Texts:
    """Register a domain's texts; every key in Dutch and English, each key once."""
    for key, entry in entries.items():
        if set(entry) != set(LANGUAGES):
            raise ValueError(f"text {key!r} of {owner} needs exactly {LANGUAGES}")
        if key in OWNERS and OWNERS[key] != owner:
            raise ValueError(f"text {key!r} of {owner} is already registered by {OWNERS[key]}")
        MESSAGES[key] = entry
        OWNERS[key] = owner
    return entries


texts(
    __name__,
    {
        "internal": {
            "nl": "Er ging iets mis. Neem contact op met het servicecenter en noem referentie "
            "{reference}.",
            "en": "Something went wrong. Please contact the service centre quoting reference "
            "{reference}.",
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
            "en": "The request body is too large.",
        },
        "page_size": {
            "nl": "Vraag hoogstens {maximum} items per pagina op.",
            "en": "Ask for at most {maximum} items per page.",
        },
        "page_size_negative": {
            "nl": "Het aantal items per pagina kan niet negatief zijn.",
            "en": "The number of items per page cannot be negative.",
        },
        "cursor_invalid": {"nl": "Deze cursor is ongeldig.", "en": "This cursor is not valid."},
        "query_too_costly": {
            "nl": "Dit verzoek kan {cost} items opleveren; de grens is {limit}. Vraag kleinere "
            "pagina's op (first) of minder lijsten in elkaar.",
            "en": "This request may return {cost} items; the limit is {limit}. Ask for smaller "
            "pages (first) or fewer nested lists.",
        },
        "too_many_directives": {
            "nl": "Een verzoek mag hoogstens {limit} directives bevatten (gevonden: {count}).",
            "en": "A request may contain at most {limit} directives (found: {count}).",
        },
        "too_many_selections": {
            "nl": "Een verzoek mag hoogstens {limit} velden bevatten, fragmenten meegeteld "
            "(gevonden: {count}).",
            "en": "A request may contain at most {limit} fields, fragments included "
            "(found: {count}).",
        },
    },
)


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
