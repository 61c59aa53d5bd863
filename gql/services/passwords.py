"""Password rules (OWASP ASVS / NIST SP 800-63B-4) and argon2id hashing off the event loop."""

from __future__ import annotations

import secrets
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import anyio
import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from gql.services.errors import Problems

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


def _for_hashing(password: str) -> str:
    # NIST SP 800-63B-4: normalize (NFKC) before hashing, so the same password typed as
    # composed or decomposed characters (é vs e + ◌́) is the same password.
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True, slots=True)
class HashParameters:
    memory_kib: int
    time_cost: int
    parallelism: int


class PasswordHashing:
    """argon2id in worker threads with bounded concurrency; counts verifications for tests."""

    def __init__(self, params: HashParameters, *, concurrency: int) -> None:
        self.params = params
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._lock = threading.Lock()
        self.verifications = 0
        self.hashes = 0
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """A new argon2id hash of the password."""
        self.hashes += 1
        return await anyio.to_thread.run_sync(
            self._hasher.hash, _for_hashing(password), limiter=self._limiter
        )

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches; costs one hash computation either way."""
        with self._lock:
            self.verifications += 1
        return await anyio.to_thread.run_sync(
            self._verify_sync, password_hash, _for_hashing(password), limiter=self._limiter
        )

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    async def prepare(self) -> None:
        """Make the dummy hash at start-up, so the first unknown code costs no extra hash."""
        if self._dummy_hash is None:
            self._dummy_hash = await anyio.to_thread.run_sync(
                self._hasher.hash, secrets.token_urlsafe(24), limiter=self._limiter
            )

    async def verify_dummy(self, password: str) -> None:
        """Spend the same work as a real verification, for an unknown access code."""
        await self.prepare()
        assert self._dummy_hash is not None
        await self.verify(self._dummy_hash, password)
