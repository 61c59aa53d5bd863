"""Access codes: random, from an alphabet without look-alikes, case-insensitive on input."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: nothing a person can misread when typing from a letter.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12  # 31^12 ≈ 2^59 codes
_SEPARATORS = str.maketrans("", "", " -_.")
_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def generate() -> str:
    """A new random access code, normalized (no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(raw: str) -> str:
    """Upper-case ASCII letters and digits only; the form that is stored and compared.

    Separators people type (spaces, dashes) go, and so does anything else that cannot be
    part of a code (a NUL would otherwise reach the database driver).
    """
    return "".join(ch for ch in raw.translate(_SEPARATORS).upper() if ch in _KEEP)


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def display(code: str) -> str:
    """Grouped for reading: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def masked(code: str) -> str:
    """Only the last four characters, for mails that confirm a change."""
    return "••••-••••-" + code[-4:]
