"""Settings are read once from TOEGANG_ variables, and unsafe values are refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from gql.settings import Settings, SettingsError, SmtpTls
from tests.support.seal import CREDITOR_ENV, seal_env


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"TOEGANG_DATA_DIR": str(tmp_path), **{f"TOEGANG_{k}": v for k, v in values.items()}}


PRODUCTION = {
    "ENV": "production",
    "PUBLIC_URL": "https://toegang.example",
    "SECRET_KEY": "k" * 64,
    "SMTP_HOST": "smtp.toegang.example",
    "SMTP_TLS": "starttls",
    # The sandbox payment provider is the default, and production takes it only when told to.
    "PSP_SANDBOX_IN_PRODUCTION": "1",
    # The register's seal for the digitally certified extract.
    **seal_env(),
    # The register's bank account: refund payouts and direct debits.
    **CREDITOR_ENV,
}


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
            {**PRODUCTION, "SECRET_KEY": "short"},
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


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SMTP_TLS": "yes"}, "TOEGANG_SMTP_TLS must be one of"),
        ({"SMTP_CA_FILE": "/nonexistent/ca.pem"}, "TOEGANG_SMTP_CA_FILE"),
        ({"MAIL_FROM": "Toegang KVK"}, "TOEGANG_MAIL_FROM"),
    ],
    ids=["smtp-tls", "ca-file", "mail-from"],
)
def test_a_malformed_mail_setting_is_refused_at_start(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env(tmp_path, **values))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SMTP_HOST": ""}, "TOEGANG_SMTP_HOST is required in production"),
        ({"SMTP_TLS": "opportunistic"}, "starttls or tls-on-connect in production"),
        # Left out, the mode is opportunistic: mail could go in clear text.
        ({"SMTP_TLS": ""}, "starttls or tls-on-connect in production"),
    ],
    ids=["no-smtp-host", "opportunistic", "tls-unset"],
)
def test_production_refuses_mail_that_could_go_in_clear_text(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env(tmp_path, **(PRODUCTION | values)))


@pytest.mark.parametrize("mode", ["starttls", "tls-on-connect"])
def test_production_sends_mail_over_required_tls_with_the_login_and_ca_bundle_given(
    tmp_path: Path, mode: str
) -> None:
    # given
    ca_file = tmp_path / "smtp-ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
    values = {"SMTP_TLS": mode, "SMTP_CA_FILE": str(ca_file), "SMTP_USERNAME": "mailer"}
    # when
    settings = Settings.from_env(env(tmp_path, **(PRODUCTION | values), SMTP_PASSWORD="geheim"))
    # then
    assert (settings.smtp_tls, settings.smtp_ca_file) == (SmtpTls(mode), ca_file)
    assert settings.smtp_port == {"starttls": 25, "tls-on-connect": 465}[mode]
    assert (settings.smtp_username, settings.smtp_password) == ("mailer", "geheim")


@pytest.mark.parametrize("login", [{"SMTP_USERNAME": "mailer"}, {"SMTP_PASSWORD": "geheim"}])
@pytest.mark.parametrize("tls", [{}, {"SMTP_TLS": "opportunistic"}], ids=["default", "explicit"])
def test_an_smtp_login_with_opportunistic_tls_is_refused_also_in_development(
    tmp_path: Path, login: dict[str, str], tls: dict[str, str]
) -> None:
    # opportunistic falls back to plain text when STARTTLS is not offered (or is stripped)
    with pytest.raises(SettingsError, match="only over TLS: set TOEGANG_SMTP_TLS=starttls"):
        Settings.from_env(env(tmp_path, SMTP_HOST="smtp.example.nl", **login, **tls))


@pytest.mark.parametrize("value", ["0", "1", ""])
def test_the_retired_smtp_starttls_setting_is_refused_naming_its_replacement(
    tmp_path: Path, value: str
) -> None:
    # 0 meant "never upgrade": keeping it, silently or not, would mislead
    with pytest.raises(SettingsError, match=r"TOEGANG_SMTP_STARTTLS .* TOEGANG_SMTP_TLS"):
        Settings.from_env(env(tmp_path, SMTP_STARTTLS=value))


def test_development_sends_mail_opportunistically_by_default(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path, SMTP_HOST="127.0.0.1"))
    assert (settings.smtp_tls, settings.smtp_port, settings.smtp_ca_file) == (
        SmtpTls.OPPORTUNISTIC,
        25,
        None,
    )


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
