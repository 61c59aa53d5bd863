"""The register's own bank account (TOEGANG_CREDITOR_*): demo values in development, all four
required in production, each checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.settings import DEMO_CREDITOR, Settings, SettingsError
from tests.support.seal import CREDITOR_ENV, seal_env

PRODUCTION = {
    "ENV": "production",
    "PUBLIC_URL": "https://toegang.example",
    "SECRET_KEY": "k" * 64,
    "SMTP_HOST": "smtp.toegang.example",
    "SMTP_TLS": "starttls",
    "PSP_SANDBOX_IN_PRODUCTION": "1",
    **seal_env(),
}


def env(tmp_path: Path, values: dict[str, str]) -> dict[str, str]:
    return {"TOEGANG_DATA_DIR": str(tmp_path), **{f"TOEGANG_{k}": v for k, v in values.items()}}


def test_development_pays_out_from_a_demo_account_and_production_names_its_own(
    tmp_path: Path,
) -> None:
    # when
    development = Settings.from_env(env(tmp_path, {}))
    production = Settings.from_env(
        env(tmp_path, PRODUCTION | CREDITOR_ENV | {"CREDITOR_IBAN": "nl02 abna 0123 4567 89"})
    )

    # then
    assert (
        development.creditor_name,
        development.creditor_iban,
        development.creditor_bic,
        development.creditor_id,
    ) == tuple(DEMO_CREDITOR.values())
    assert (production.creditor_name, production.creditor_iban, production.creditor_id) == (
        "Kamer van Koophandel",
        "NL02ABNA0123456789",
        "NL69ZZZ123456780000",
    )


def test_production_without_the_registers_bank_account_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env(tmp_path, PRODUCTION | {"CREDITOR_BIC": "ABNANL2A"}))
    message = str(refused.value)
    for name in ("TOEGANG_CREDITOR_NAME", "TOEGANG_CREDITOR_IBAN", "TOEGANG_CREDITOR_ID"):
        assert name in message
    assert "TOEGANG_CREDITOR_BIC" not in message


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"CREDITOR_IBAN": "NL02ABNA0123456780"}, "TOEGANG_CREDITOR_IBAN"),
        ({"CREDITOR_BIC": "ABNA"}, "TOEGANG_CREDITOR_BIC"),
        ({"CREDITOR_ID": "NL68ZZZ123456780000"}, "TOEGANG_CREDITOR_ID"),  # check digits
        ({"CREDITOR_ID": "NL69ZZZ"}, "TOEGANG_CREDITOR_ID"),
        ({"CREDITOR_NAME": "K" * 71}, "TOEGANG_CREDITOR_NAME"),
    ],
    ids=["iban-checksum", "bic", "creditor-id-check-digits", "creditor-id-short", "name-long"],
)
def test_a_bank_account_that_cannot_be_used_is_refused_at_start(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env(tmp_path, values))
