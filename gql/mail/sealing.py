"""Mail bodies at rest are sealed: they carry access codes and single-use links.

A queued message waits in the database until the dispatcher sends it; whoever can read the
database (a backup, a replica, a reporting user) must not be able to take over an account
with a reset link found there. Bodies are encrypted with Fernet (AES-128-CBC + HMAC-SHA256)
under a key derived from TOEGANG_SECRET_KEY, opened only to send, and emptied once sent.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["InvalidToken", "seal", "unseal"]


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"toegang outbox body v1\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(text: str, *, secret_key: str) -> str:
    """The text, encrypted and authenticated; ASCII, fit for a text column."""
    return _fernet(secret_key).encrypt(text.encode()).decode("ascii")


def unseal(sealed: str, *, secret_key: str) -> str:
    """The text again; raises InvalidToken when it was changed or sealed under another key."""
    return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode()
