"""Global ids and cursors: made and parsed in this one place.

A global id is base64url of `<Type>:<number>`, a cursor of `c:<number>`. Parsing accepts
only ASCII letters for the type and 1 to 19 ASCII digits within a 64-bit signed integer
for the number: anything else is no id at all (`node` answers null, a mutation NotFound,
a cursor the usual invalid-argument error), never an internal error.
"""

from __future__ import annotations

import base64
import binascii
import re

import strawberry

MAX_KEY = 2**63 - 1
_GLOBAL_ID = re.compile(r"([A-Za-z]{1,64}):([0-9]{1,19})")
_CURSOR = re.compile(r"c:([0-9]{1,19})")


def _decode(value: str) -> str | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        return None


def _in_range(digits: str) -> int | None:
    number = int(digits)
    return number if 0 < number <= MAX_KEY else None


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def parse_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None when `global_id` is no id this API made."""
    decoded = _decode(global_id)
    match = _GLOBAL_ID.fullmatch(decoded) if decoded is not None else None
    if match is None:
        return None
    pk = _in_range(match.group(2))
    return (match.group(1), pk) if pk is not None else None


def key_of(global_id: str, type_name: str) -> int:
    """The primary key of an id of `type_name`; 0 (which no row has) for anything else, so
    the use case answers NotFound exactly as for an id that no longer exists."""
    parsed = parse_global_id(global_id)
    return parsed[1] if parsed is not None and parsed[0] == type_name else 0


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"c:{key}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    """The key of a cursor; None when it is not a cursor this API made."""
    decoded = _decode(cursor)
    match = _CURSOR.fullmatch(decoded) if decoded is not None else None
    return _in_range(match.group(1)) if match is not None else None
