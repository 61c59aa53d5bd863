"""Keys for sealing and signing, one per purpose, derived from TOEGANG_SECRET_KEY.

`TOEGANG_SECRET_KEY` is a comma-separated list of keys, each base64url (padding optional)
or hex, each decoding to at least 32 random bytes. The FIRST key seals and signs; every
key on the list still opens and verifies, so a key can be rotated: put the new key first,
keep the old one second until what it sealed is gone (queued mail, recovery requests) or
re-sealed (TOTP secrets), then drop it.

From each key one key per purpose is derived with HKDF-SHA256 and the purpose as label,
so a key that leaks from one use (a signed download link, say) opens nothing else.
Sealing is Fernet (AES-128-CBC with HMAC-SHA256); signing is HMAC-SHA256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import string
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "Keyring", "Purpose", "keyring", "parse_secret_keys"]

MIN_KEY_BYTES = 32
_HEX = frozenset(string.hexdigits)
_BASE64URL = frozenset(string.ascii_letters + string.digits + "-_=")


class Purpose(StrEnum):
    """What a derived key is for; the label of its HKDF derivation."""

    MAIL_BODY = "mail-body"
    RECOVERY_LOOKUP = "recovery-lookup"
    TOTP_SECRET = "totp-secret"
    THROTTLE_KEY = "throttle-key"
    DOWNLOAD_LINK = "download-link"
    #: The sandbox payment provider: its default webhook secret and checkout form tokens.
    PSP_WEBHOOK = "psp-webhook"
    #: A device session's next token pair, kept through the refresh grace period.
    REFRESH_GRACE = "refresh-grace"


# Sealed before per-purpose keys existed: the outbox bodies and recovery lookups used one
# Fernet key, sha256 of this label and the key's text. Still opened, never used to seal.
_LEGACY_LABEL = b"toegang outbox body v1\x00"
_LEGACY_PURPOSES = frozenset({Purpose.MAIL_BODY, Purpose.RECOVERY_LOOKUP})


def _decode(text: str) -> bytes:
    if len(text) >= 2 * MIN_KEY_BYTES and len(text) % 2 == 0 and set(text) <= _HEX:
        return bytes.fromhex(text)
    if not set(text) <= _BASE64URL:
        raise ValueError("is neither base64url nor hex")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("is not valid base64url") from exc


def parse_secret_keys(raw: str) -> tuple[str, ...]:
    """The keys of a TOEGANG_SECRET_KEY value, each checked; raises ValueError saying which."""
    keys = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not keys:
        raise ValueError("TOEGANG_SECRET_KEY is empty")
    for number, key in enumerate(keys, start=1):
        try:
            decoded = _decode(key)
        except ValueError as exc:
            raise ValueError(f"TOEGANG_SECRET_KEY: key {number} {exc}") from None
        if len(decoded) < MIN_KEY_BYTES:
            raise ValueError(
                f"TOEGANG_SECRET_KEY: key {number} decodes to {len(decoded)} bytes; at least "
                f"{MIN_KEY_BYTES} random bytes are needed (e.g. `openssl rand -base64 48`)"
            )
    return keys


def _derive(key: bytes, purpose: Purpose) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"toegang " + purpose.encode()
    )
    return hkdf.derive(key)


@dataclass(frozen=True, slots=True)
class Keyring:
    """The derived keys of every key on the list; the first seals and signs."""

    texts: tuple[str, ...]
    keys: tuple[bytes, ...]

    def _fernet(self, purpose: Purpose) -> MultiFernet:
        return _multi_fernet(self, purpose)

    def seal(self, purpose: Purpose, text: str) -> str:
        """`text` encrypted and authenticated with the first key; ASCII, for a text column."""
        return self._fernet(purpose).encrypt(text.encode()).decode("ascii")

    def unseal(self, purpose: Purpose, sealed: str) -> str:
        """The text again; InvalidToken when it was changed or sealed under no listed key."""
        return self._fernet(purpose).decrypt(sealed.encode("ascii")).decode()

    def sign(self, purpose: Purpose, value: str) -> str:
        """An HMAC-SHA256 of `value` with the first key (hex)."""
        return hmac.new(_derived(self, 0, purpose), value.encode(), hashlib.sha256).hexdigest()

    def verify(self, purpose: Purpose, value: str, signature: str) -> bool:
        """Whether `signature` is the HMAC of `value` under any listed key (constant time)."""
        return any(
            hmac.compare_digest(
                hmac.new(_derived(self, i, purpose), value.encode(), hashlib.sha256).hexdigest(),
                signature,
            )
            for i in range(len(self.keys))
        )


@lru_cache(maxsize=256)
def _derived(ring: Keyring, index: int, purpose: Purpose) -> bytes:
    return _derive(ring.keys[index], purpose)


@lru_cache(maxsize=64)
def _multi_fernet(ring: Keyring, purpose: Purpose) -> MultiFernet:
    fernets = [
        Fernet(base64.urlsafe_b64encode(_derived(ring, i, purpose))) for i in range(len(ring.keys))
    ]
    if purpose in _LEGACY_PURPOSES:
        for text in ring.texts:
            digest = hashlib.sha256(_LEGACY_LABEL + text.encode()).digest()
            fernets.append(Fernet(base64.urlsafe_b64encode(digest)))
    return MultiFernet(fernets)


@lru_cache(maxsize=8)
def keyring(secret_key: str) -> Keyring:
    """The keyring of a TOEGANG_SECRET_KEY value (checked by Settings.from_env)."""
    texts = parse_secret_keys(secret_key)
    return Keyring(texts, tuple(_decode(t) for t in texts))
