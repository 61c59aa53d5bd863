"""A seal certificate and key in PEM files, and the register's bank account, as production
settings name them."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from gql.documents.signing import development_seal

#: The register's bank account, as production settings must name it (TOEGANG_CREDITOR_*).
CREDITOR_ENV = {
    "CREDITOR_NAME": "Kamer van Koophandel",
    "CREDITOR_IBAN": "NL02ABNA0123456789",
    "CREDITOR_BIC": "ABNANL2A",
    "CREDITOR_ID": "NL69ZZZ123456780000",
}


@cache
def seal_env() -> dict[str, str]:
    """TOEGANG_SEAL_* values (without the prefix) naming a certificate and key made once."""
    folder = Path(tempfile.mkdtemp(prefix="toegang-seal-"))
    development_seal(folder, now=datetime.now(UTC))
    return {
        "SEAL_CERT_FILE": str(folder / "seal" / "seal-certificate.pem"),
        "SEAL_KEY_FILE": str(folder / "seal" / "seal-key.pem"),
    }
