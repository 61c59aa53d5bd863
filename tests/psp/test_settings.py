"""The payment provider's settings: production takes the sandbox only when told to."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.settings import Settings, SettingsError
from tests.support.seal import CREDITOR_ENV, seal_env

PRODUCTION = {
    "TOEGANG_ENV": "production",
    "TOEGANG_PUBLIC_URL": "https://toegang.example",
    "TOEGANG_SECRET_KEY": "k" * 64,
    "TOEGANG_SMTP_HOST": "smtp.toegang.example",
    "TOEGANG_SMTP_TLS": "starttls",
    **{f"TOEGANG_{k}": v for k, v in (seal_env() | CREDITOR_ENV).items()},
}


def test_production_refuses_the_sandbox_provider_unless_it_is_enabled(tmp_path: Path) -> None:
    # given
    production = {"TOEGANG_DATA_DIR": str(tmp_path), **PRODUCTION}

    # when / then: the sandbox is the default provider, so production must say so
    with pytest.raises(SettingsError, match="TOEGANG_PSP_SANDBOX_IN_PRODUCTION"):
        Settings.from_env(production)
    with pytest.raises(SettingsError, match="TOEGANG_PSP_SANDBOX_IN_PRODUCTION"):
        Settings.from_env({**production, "TOEGANG_PSP": "sandbox"})
    enabled = Settings.from_env({**production, "TOEGANG_PSP_SANDBOX_IN_PRODUCTION": "1"})
    assert (enabled.psp, enabled.psp_sandbox_in_production) == ("sandbox", True)


def test_development_uses_the_sandbox_with_a_derived_webhook_secret_by_default(
    tmp_path: Path,
) -> None:
    # when
    settings = Settings.from_env({"TOEGANG_DATA_DIR": str(tmp_path)})

    # then
    assert settings.psp == "sandbox"
    assert settings.psp_webhook_secret == ""
    assert settings.psp_payment_minutes == 15


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"TOEGANG_PSP": "mollie"}, "TOEGANG_PSP must be one of sandbox"),
        ({"TOEGANG_PSP_WEBHOOK_SECRET": "short"}, "TOEGANG_PSP_WEBHOOK_SECRET"),
        ({"TOEGANG_PSP_PAYMENT_MINUTES": "0"}, "TOEGANG_PSP_PAYMENT_MINUTES"),
        ({"TOEGANG_PSP_SANDBOX_IN_PRODUCTION": "maybe"}, "TOEGANG_PSP_SANDBOX_IN_PRODUCTION"),
    ],
    ids=["unknown-provider", "short-secret", "no-minutes", "not-a-flag"],
)
def test_unusable_payment_provider_settings_are_refused_at_start(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"TOEGANG_DATA_DIR": str(tmp_path), **values})
