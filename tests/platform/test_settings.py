"""Settings are read once from TOEGANG_ variables, and unsafe values are refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.settings import Settings, SettingsError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"TOEGANG_DATA_DIR": str(tmp_path), **{f"TOEGANG_{k}": v for k, v in values.items()}}


PRODUCTION = {"ENV": "production", "PUBLIC_URL": "https://toegang.example", "SECRET_KEY": "k" * 64}


@pytest.mark.parametrize("origin", ["*", "null", "app.example.nl", "ftp://app.example.nl"])
def test_a_cors_origin_that_is_no_origin_is_refused(tmp_path: Path, origin: str) -> None:
    # '*' with credentials would let every site act with the user's cookie
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        Settings.from_env(env(tmp_path, CORS_ORIGINS=f"https://ok.example,{origin}"))


def test_production_accepts_only_https_cors_origins(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="https in production"):
        Settings.from_env(env(tmp_path, CORS_ORIGINS="http://app.example.nl", **PRODUCTION))
    settings = Settings.from_env(env(tmp_path, CORS_ORIGINS="https://app.example.nl", **PRODUCTION))
    assert settings.cors_origins == ("https://app.example.nl",)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"ENV": "production", "PUBLIC_URL": "http://toegang.example", "SECRET_KEY": "k" * 64},
            "https",
        ),
        (
            {"ENV": "production", "PUBLIC_URL": "https://toegang.example", "SECRET_KEY": "short"},
            "SECRET_KEY",
        ),
        ({"ENV": "staging"}, "TOEGANG_ENV"),
        ({"PORT": "eighty"}, "TOEGANG_PORT"),
        ({"TRUSTED_PROXIES": "not-an-address"}, "TRUSTED_PROXIES"),
    ],
    ids=["production-http", "short-secret", "unknown-env", "port", "proxy"],
)
def test_unsafe_or_malformed_settings_are_refused_at_start(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env(tmp_path, **values))


def test_development_needs_no_settings_and_keeps_its_secret_across_restarts(tmp_path: Path) -> None:
    first = Settings.from_env(env(tmp_path))
    second = Settings.from_env(env(tmp_path))
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert first.database_url == f"sqlite+aiosqlite:///{tmp_path / 'toegang.db'}"
    assert first.public_url == "http://127.0.0.1:8000"
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
