"""What every use case gets: its collaborators (Deps) and who is asking (Caller)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gql.clock import Clock
from gql.db import Database
from gql.keys import Keyring, Purpose, keyring
from gql.services.shared.hashing import PasswordHashing
from gql.settings import Settings

if TYPE_CHECKING:
    from gql.psp import PaymentProvider


@dataclass(frozen=True, slots=True)
class Deps:
    db: Database
    hashing: PasswordHashing
    clock: Clock
    settings: Settings

    @property
    def psp(self) -> PaymentProvider:
        """The payment provider of TOEGANG_PSP (the sandbox unless configured otherwise)."""
        from gql.psp import make_provider

        return make_provider(self.db, self.settings, self.clock)

    @property
    def keys(self) -> Keyring:
        """The sealing and signing keys derived from TOEGANG_SECRET_KEY."""
        return keyring(self.settings.secret_key)

    def keyed_hash(self, value: str) -> str:
        """An HMAC of `value`, so throttle keys never store access codes or addresses as-is.

        With the first key only: after a key rotation the counters start afresh."""
        return self.keys.sign(Purpose.THROTTLE_KEY, value)[:40]


@dataclass(frozen=True, slots=True)
class Caller:
    """The person or program behind a request."""

    client_ip: str
    language: str
    request_id: str
    account_id: int | None = None
    session_id: int | None = None
    is_staff: bool = False
    #: Signed in with a bearer token (a mobile app): links it gets must carry their own
    #: proof (a signed download link), as it sends no cookie.
    bearer: bool = False
    #: The User-Agent header, cut short: how a browser session is told apart in the list.
    user_agent: str = ""


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
