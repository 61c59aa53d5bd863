"""argon2id hashing in worker threads with bounded concurrency (SPEC §6).

Cross-cutting: the accounts domain hashes passwords with it, and every use case gets it
through Deps.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata
from dataclasses import dataclass

import anyio
import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


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
