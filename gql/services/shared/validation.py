"""Small input rules shared by the use cases; each adds to a Problems collection."""

from __future__ import annotations

import re
import unicodedata

from gql.services.shared.errors import Problems

# One address, `local@domain`, and nothing else: the local part an ASCII dot-atom of RFC 5322
# atext, the domain a host name of two or more labels. Written out rather than parsed with
# email.utils: the stdlib reads address-list syntax ('intern,victim@x.nl', '"1"<victim@x.nl>'),
# and in Python 3.11.7 may even return another address than the mail server will use
# (CVE-2023-27043). Quotes, comments, <>, commas and whitespace thus never pass.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>{_LABEL}(?:\.{_LABEL})+)", re.ASCII
)
# Characters of names, lists and routes: the input is more than one plain address.
_ADDRESS_SYNTAX = re.compile(r'[\s,;<>"()\[\]\\]')
EMAIL_MAX_LENGTH = 254
LOCAL_PART_MAX_LENGTH = 64
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
    """One plain address (`local@domain`), returned lower-cased: the form that is stored."""
    cleaned = value.strip()
    if not cleaned:
        problems.add(field, "required")
    elif _ADDRESS_SYNTAX.search(cleaned):
        problems.add(field, "email_one_address")
    elif not is_email_address(cleaned):
        problems.add(field, "email_invalid")
    return cleaned.lower()


def is_email_address(value: str) -> bool:
    """Whether the whole of `value` is one address: a dot-atom, '@', a host name."""
    match = _EMAIL.fullmatch(value)
    return (
        match is not None
        and len(value) <= EMAIL_MAX_LENGTH
        and len(match["local"]) <= LOCAL_PART_MAX_LENGTH
        # No top-level domain has one character (as the check before this one held).
        and len(match["domain"].rsplit(".", 1)[1]) >= 2
    )


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def mailbox_key(email: str) -> str:
    """The mailbox an address reaches, for counting mail to it: 'anna+1@x.nl' is 'anna@x.nl'.

    Sub-addressing (RFC 5233, '+tag') reaches one mailbox through any number of addresses,
    which would multiply a per-address limit.
    """
    local, _, domain = normalize_email(email).rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


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
