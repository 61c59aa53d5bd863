"""Small input rules shared by the use cases; each adds to a Problems collection."""

from __future__ import annotations

import re
import unicodedata

from gql.services.shared.errors import Problems

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_KVK = re.compile(r"^\d{8}$")
_POSTAL_CODE = re.compile(r"^[1-9]\d{3} ?[A-Z]{2}$")


def has_control_characters(value: str) -> bool:
    """NUL, other control and invisible format characters: never part of a name or address."""
    return any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in value)


def text_field(
    problems: Problems, field: tuple[str, ...] | str, value: str, *, maximum: int
) -> str:
    """Trimmed text that must not be empty or too long."""
    cleaned = " ".join(value.split())
    if has_control_characters(cleaned):
        problems.add(field, "control_characters")
    elif not cleaned:
        problems.add(field, "required")
    elif len(cleaned) > maximum:
        problems.add(field, "too_long", maximum=maximum)
    return cleaned


def email_field(problems: Problems, field: tuple[str, ...] | str, value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        problems.add(field, "required")
    elif len(cleaned) > 254 or not _EMAIL.match(cleaned) or has_control_characters(cleaned):
        problems.add(field, "email_invalid")
    return cleaned


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def kvk_number_field(problems: Problems, field: str, value: str | None) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        problems.add(field, "required")
    elif not _KVK.match(cleaned):
        problems.add(field, "kvk_number_format")
    return cleaned


def postal_code_field(problems: Problems, field: tuple[str, ...], value: str) -> str:
    cleaned = value.strip().upper()
    if not _POSTAL_CODE.match(cleaned):
        problems.add(field, "postal_code_invalid")
        return cleaned
    return f"{cleaned[:4]} {cleaned[-2:]}"
