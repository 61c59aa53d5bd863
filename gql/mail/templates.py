"""Mail and letter texts in Dutch and English, rendered when a message is queued."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Template:
    """A mail or letter: subject and body in Dutch and English.

    `confirms_a_change`: a "was this you?" confirmation of a change to the account (SPEC
    §3.1), which ends with the advice to contact the service centre.
    """

    subject: dict[str, str]
    body: dict[str, str]
    confirms_a_change: bool = False


_SIGNATURE = {
    "nl": "\n\nMet vriendelijke groet,\nKamer van Koophandel — Toegang\n\n"
    "Vragen? Neem contact op met het servicecenter.",
    "en": "\n\nKind regards,\nNetherlands Chamber of Commerce — Toegang\n\n"
    "Questions? Please contact the service centre.",
}
_WAS_THIS_YOU = {
    "nl": "\n\nWas jij dit niet? Neem dan direct contact op met het servicecenter.",
    "en": "\n\nWas this not you? Please contact the service centre at once.",
}

TEMPLATES: dict[str, Template] = {}


def register(templates: dict[str, Template]) -> dict[str, Template]:
    """Add a domain's mail templates (next to the domain's code); each name once."""
    for name, template in templates.items():
        if name in TEMPLATES:
            raise ValueError(f"mail template {name!r} is already registered")
        if set(template.subject) != {"nl", "en"} or set(template.body) != {"nl", "en"}:
            raise ValueError(f"mail template {name!r} needs Dutch and English")
        TEMPLATES[name] = template
    return templates


def render(template: str, language: str, params: dict[str, object]) -> tuple[str, str]:
    """Subject and plain-text body of `template` in `language`."""
    entry = TEMPLATES[template]
    lang = language if language in entry.body else "nl"
    body = entry.body[lang].format(**params)
    if entry.confirms_a_change:
        body += _WAS_THIS_YOU[lang]
    return entry.subject[lang].format(**params), body + _SIGNATURE[lang]
