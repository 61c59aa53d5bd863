"""Settings are read once from TOEGANG_ variables, and unsafe values are refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from gql.settings import Settings, SettingsError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"TOEGANG_DATA_DIR": str(tmp_path), **{f"TOEGANG_{k}": v for k, v in values.items()}}


PRODUCTION = {"ENV": "production", "PUBLIC_URL": "https://toegang.example", "SECRET_KEY": "k" * 40}


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
            {"ENV": "production", "PUBLIC_URL": "http://toegang.example", "SECRET_KEY": "k" * 40},
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


# --- PostgreSQL: verified TLS ------------------------------------------------------------------

REMOTE_POSTGRES = "postgresql+asyncpg://toegang_app:geheim@db.internal/toegang"


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.mark.parametrize("variable", ["DATABASE_URL", "MIGRATION_DATABASE_URL"])
def test_production_refuses_a_postgresql_server_on_another_host_without_a_ca_file(
    tmp_path: Path, variable: str
) -> None:
    # when / then
    with pytest.raises(SettingsError, match="TOEGANG_DATABASE_CA_FILE") as refused:
        Settings.from_env(env(tmp_path, **{variable: REMOTE_POSTGRES}, **PRODUCTION))
    assert f"TOEGANG_{variable}" in str(refused.value)
    assert "geheim" not in str(refused.value)  # the URL's password is never quoted


def test_production_accepts_a_postgresql_server_on_another_host_with_a_ca_file(
    tmp_path: Path, ca_file: Path
) -> None:
    # when
    settings = Settings.from_env(
        env(
            tmp_path,
            DATABASE_URL=REMOTE_POSTGRES,
            MIGRATION_DATABASE_URL=REMOTE_POSTGRES.replace("toegang_app", "toegang_owner"),
            DATABASE_CA_FILE=str(ca_file),
            **PRODUCTION,
        )
    )
    # then
    assert settings.database_ca_file == ca_file
    assert settings.migration_database_url.startswith("postgresql+asyncpg://toegang_owner:")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://toegang@127.0.0.1:5432/toegang",
        "postgresql+asyncpg://toegang@localhost/toegang",
        "postgresql+asyncpg://toegang@[::1]:5432/toegang",
        "postgresql+asyncpg://toegang@/toegang?host=/run/postgresql",
    ],
    ids=["127.0.0.1", "localhost", "::1", "unix-socket"],
)
def test_production_lets_postgresql_on_this_host_do_without_a_ca_file(
    tmp_path: Path, url: str
) -> None:
    # when
    settings = Settings.from_env(env(tmp_path, DATABASE_URL=url, **PRODUCTION))
    # then
    assert settings.database_url == url
    assert settings.database_ca_file is None


@pytest.mark.parametrize("parameter", ["sslmode=verify-full", "ssl=require", "sslrootcert=ca.pem"])
def test_tls_parameters_in_a_postgresql_url_are_refused_with_a_pointer_to_the_ca_file(
    tmp_path: Path, parameter: str
) -> None:
    # asyncpg takes no sslmode (connecting fails) and ssl=require does not verify the server
    # when / then
    with pytest.raises(SettingsError, match="out of the URL; set TOEGANG_DATABASE_CA_FILE"):
        Settings.from_env(
            env(
                tmp_path, DATABASE_URL=f"postgresql+asyncpg://toegang@127.0.0.1/toegang?{parameter}"
            )
        )


def test_a_ca_file_that_is_not_there_is_refused(tmp_path: Path) -> None:
    # when / then
    with pytest.raises(SettingsError, match="TOEGANG_DATABASE_CA_FILE names no file"):
        Settings.from_env(
            env(tmp_path, DATABASE_URL=REMOTE_POSTGRES, DATABASE_CA_FILE=str(tmp_path / "nope.pem"))
        )
