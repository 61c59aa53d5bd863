"""Password rules (OWASP ASVS / NIST SP 800-63B-4): length, common, personal, predictable."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Protocol

import anyio.to_thread
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from gql.services.accounts import texts as _texts  # noqa: F401  (the problems' texts, also for the CLI)
from gql.services.shared.errors import Problems

MIN_LENGTH = 15
MAX_LENGTH = 256
# zxcvbn scores 0-4; below 3 the password follows a pattern guessed early in a breach list.
MIN_ZXCVBN_SCORE = 3
# zxcvbn is quadratic in length and raises ValueError beyond 72 characters (its max_length).
ZXCVBN_MAX_CHARS = 72


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of the zxcvbn project, case-folded."""
    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"])


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _personal_parts(*, email: str, name: str, access_code: str) -> list[str]:
    parts = [email, email.split("@", 1)[0], access_code, name, *name.split()]
    return [p for p in (_fold(x) for x in parts) if len(p) >= 4]


async def check_password(
    problems: Problems,
    password: str,
    *,
    field: tuple[str, ...] | str,
    email: str = "",
    name: str = "",
    access_code: str = "",
) -> None:
    """Add every rule the password breaks to `problems` (no composition rules)."""
    normalized = unicodedata.normalize("NFKC", password)
    length = len(normalized)
    if length < MIN_LENGTH:
        problems.add(field, "password_too_short", minimum=MIN_LENGTH)
        return
    if length > MAX_LENGTH:
        problems.add(field, "password_too_long", maximum=MAX_LENGTH)
        return
    if normalized.casefold() in common_passwords():
        problems.add(field, "password_common")
        return
    folded = _fold(normalized)
    personal = _personal_parts(email=email, name=name, access_code=access_code)
    if any(part in folded for part in personal):
        problems.add(field, "password_personal")
        return
    # zxcvbn's pattern search costs milliseconds of CPU: keep it off the event loop.
    result = await anyio.to_thread.run_sync(
        lambda: zxcvbn(normalized[:ZXCVBN_MAX_CHARS], user_inputs=[email, name, access_code])
    )
    if result["score"] < MIN_ZXCVBN_SCORE:
        problems.add(field, "password_predictable")


class _Holder(Protocol):
    email: str
    name: str
    access_code: str


async def check_new_password(
    problems: Problems, password: str, *, field: str, holder: _Holder
) -> None:
    """The rules for a new password of an existing account: nothing of its own data."""
    await check_password(
        problems,
        password,
        field=field,
        email=holder.email,
        name=holder.name,
        access_code=holder.access_code,
    )
