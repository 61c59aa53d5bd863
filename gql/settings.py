"""Settings, read once from the environment (prefix TOEGANG_) into one frozen object."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gql.keys import parse_secret_keys
from gql.private_files import create_once, private_dir

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: The payment providers TOEGANG_PSP may name (gql/psp/__init__.py makes them).
PSP_PROVIDERS = ("sandbox",)
#: The register's bank account outside production (TOEGANG_CREDITOR_*): valid, made up.
DEMO_CREDITOR = {
    "NAME": "KVK Toegang (demo)",
    "IBAN": "NL20INGB0001234567",
    "BIC": "INGBNL2A",
    "ID": "NL69ZZZ123456780000",
}


class SettingsError(ValueError):
    """A TOEGANG_ variable has a value that cannot be used."""


class SmtpTls(StrEnum):
    """How mail reaches the SMTP server. Wherever TLS happens, the server's certificate and
    host name are verified; a server that fails the check gets no mail."""

    #: STARTTLS when the server offers it, else plain: anyone on the path can strip the
    #: offer, so no credentials go this way and production refuses it.
    OPPORTUNISTIC = "opportunistic"
    #: STARTTLS or no mail (submission, usually port 587).
    STARTTLS = "starttls"
    #: TLS from the first byte (implicit TLS, usually port 465).
    TLS_ON_CONNECT = "tls-on-connect"


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    # PostgreSQL only: TLS with this CA bundle, the server's certificate and name verified.
    database_ca_file: Path | None = None
    # `toegang migrate` signs in with this URL when set (the role that owns the schema).
    migration_database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: SmtpTls = SmtpTls.OPPORTUNISTIC
    #: A PEM bundle of the CAs to trust for the SMTP server, instead of the system's.
    smtp_ca_file: Path | None = None
    mail_from: str = "Toegang KVK <noreply@toegang.example>"
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    # argon2id; the default is argon2-cffi's RFC 9106 low-memory profile, see README.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    argon2_parallelism: int = 4
    hash_concurrency: int = 2
    run_dispatcher: bool = True
    outbox_poll_seconds: float = 2.0
    # Retention of personal data, in days (README "Operating it safely").
    retention_decided_request_days: int = 30
    retention_sent_mail_days: int = 30
    retention_used_token_days: int = 7
    retention_ended_session_days: int = 30
    retention_letter_days: int = 14
    #: Device sessions of mobile apps (README "Sessions"): the access token's lifetime, the
    #: longest a session lives after the password was entered, how long it lives without a
    #: refresh, and how long a used refresh token still answers with the same new pair.
    access_token_minutes: int = 30
    device_session_days: int = 30
    device_session_idle_days: int = 7
    refresh_grace_seconds: int = 30
    max_body_bytes: int = 100_000
    # The whole of a multipart request (an upload); streamed, refused as soon as it is over.
    max_upload_bytes: int = 25 * 1024 * 1024
    # How long a signed download link (for bearer-token clients) works.
    download_link_seconds: int = 300
    # How many weeks before a filing deadline the main user is reminded (once).
    filing_reminder_weeks: int = 6
    # Where a payment may return to besides the CORS origins: app links of mobile apps.
    return_url_prefixes: tuple[str, ...] = ()
    # The most one top-up may be, in cents (the least is EUR 5).
    top_up_max_cents: int = 100_000
    execution_timeout_seconds: float = 10.0
    trusted_documents_only: bool = False
    log_level: str = "INFO"
    #: The payment provider (gql/psp); only the built-in sandbox so far.
    psp: str = "sandbox"
    #: Production refuses the sandbox (payments nobody pays) unless this says otherwise.
    psp_sandbox_in_production: bool = False
    #: The secret the provider signs webhooks with; empty: derived from secret_key.
    psp_webhook_secret: str = ""
    #: How long a sandbox payment stays open for the payer.
    psp_payment_minutes: int = 15
    #: The register's seal (PEM certificate chain and key) for the digitally certified
    #: extract; empty outside production: a development certificate in the data folder.
    seal_cert_file: Path | None = None
    seal_key_file: Path | None = None
    seal_key_password: str = ""
    #: The e-mailed download link of an anonymous purchase: its lifetime and downloads.
    extract_link_hours: int = 72
    extract_link_downloads: int = 5
    #: The register's own bank account: the debtor of refund payouts (pain.001) and the
    #: creditor of direct debits (pain.008, with its SEPA creditor identifier). Demo values
    #: in development; required in production.
    creditor_name: str = DEMO_CREDITOR["NAME"]
    creditor_iban: str = DEMO_CREDITOR["IBAN"]
    creditor_bic: str = DEMO_CREDITOR["BIC"]
    creditor_id: str = DEMO_CREDITOR["ID"]
    #: Days after an open invoice's due date that its payment reminder is sent, and days
    #: after the reminder that the formal notice (ingebrekestelling) follows.
    reminder_days: int = 14
    formal_notice_days: int = 14
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def public_is_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def public_is_loopback_http(self) -> bool:
        parts = urlsplit(self.public_url)
        return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS

    @property
    def session_cookie_name(self) -> str:
        # __Host- demands Secure, Path=/ and no Domain: only plain http on loopback
        # (development, tests) may do without, since browsers refuse Secure there.
        return "toegang_session" if self.public_is_loopback_http else "__Host-toegang_session"

    @property
    def session_cookie_secure(self) -> bool:
        return not self.public_is_loopback_http

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every TOEGANG_ variable once; refuse unsafe production settings."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(f"TOEGANG_{name}", default).strip()

        def get_int(name: str, default: int) -> int:
            raw = get(name, str(default))
            try:
                return int(raw)
            except ValueError as exc:
                raise SettingsError(f"TOEGANG_{name} must be a whole number, not {raw!r}") from exc

        def get_float(name: str, default: float) -> float:
            raw = get(name, str(default))
            try:
                return float(raw)
            except ValueError as exc:
                raise SettingsError(f"TOEGANG_{name} must be a number, not {raw!r}") from exc

        def get_bool(name: str, default: bool) -> bool:
            raw = get(name, "1" if default else "0").lower()
            if raw in {"1", "true", "yes", "on"}:
                return True
            if raw in {"0", "false", "no", "off", ""}:
                return False
            raise SettingsError(f"TOEGANG_{name} must be 1 or 0, not {raw!r}")

        def get_list(name: str) -> tuple[str, ...]:
            return tuple(p.strip() for p in get(name).split(",") if p.strip())

        mode = get("ENV", "development")
        if mode not in {"development", "production"}:
            raise SettingsError("TOEGANG_ENV must be 'development' or 'production'")
        data_dir = Path(get("DATA_DIR", "data")).resolve()
        host = get("HOST", "127.0.0.1")
        port = get_int("PORT", 8000)
        display_host = f"[{host}]" if ":" in host else host
        public_url = get("PUBLIC_URL", f"http://{display_host}:{port}").rstrip("/")
        database_url = get("DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'toegang.db'}")
        migration_database_url = get("MIGRATION_DATABASE_URL")
        database_ca_file = Path(get("DATABASE_CA_FILE")) if get("DATABASE_CA_FILE") else None
        if database_ca_file is not None and not database_ca_file.is_file():
            raise SettingsError("TOEGANG_DATABASE_CA_FILE names no file")
        for variable, url in (
            ("DATABASE_URL", database_url),
            ("MIGRATION_DATABASE_URL", migration_database_url),
        ):
            _check_database_url(
                variable,
                url,
                has_ca_file=database_ca_file is not None,
                production=mode == "production",
            )
        secret_key = get("SECRET_KEY")
        if mode == "production":
            if urlsplit(public_url).scheme != "https":
                raise SettingsError("TOEGANG_PUBLIC_URL must be https in production")
            if not secret_key:
                raise SettingsError("TOEGANG_SECRET_KEY is required in production")
        # The data folder holds hashes, sealed secrets and personal data: 0700.
        private_dir(data_dir)
        smtp_tls = _smtp_tls(env, get, production=mode == "production")
        mail_from = get("MAIL_FROM", "Toegang KVK <noreply@toegang.example>")
        if "@" not in parseaddr(mail_from)[1]:
            # Its address is the envelope sender of every mail (gql/mail/sender.py).
            raise SettingsError("TOEGANG_MAIL_FROM must hold an address, like Name <noreply@x.nl>")
        if not secret_key:
            secret_key = _development_secret(data_dir)
        try:
            parse_secret_keys(secret_key)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        for origin in get_list("CORS_ORIGINS"):
            # Credentials go with CORS: '*' would let every site act with the user's cookie.
            parts = urlsplit(origin)
            if origin in {"*", "null"} or parts.scheme not in {"http", "https"} or not parts.netloc:
                raise SettingsError(
                    f"TOEGANG_CORS_ORIGINS: {origin!r} is no origin like https://app.example.nl"
                )
            if mode == "production" and parts.scheme != "https":
                raise SettingsError(f"TOEGANG_CORS_ORIGINS: {origin!r} must be https in production")
        for prefix in get_list("RETURN_URL_PREFIXES"):
            _check_return_url_prefix(prefix, production=mode == "production")
        for proxy in get_list("TRUSTED_PROXIES"):
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise SettingsError(f"TOEGANG_TRUSTED_PROXIES: {proxy!r} is no address") from exc
        settings = cls(
            env=mode,
            database_url=database_url,
            database_ca_file=database_ca_file,
            migration_database_url=migration_database_url,
            host=host,
            port=port,
            data_dir=data_dir,
            public_url=public_url,
            secret_key=secret_key,
            smtp_host=get("SMTP_HOST"),
            smtp_port=get_int("SMTP_PORT", 465 if smtp_tls is SmtpTls.TLS_ON_CONNECT else 25),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            smtp_tls=smtp_tls,
            smtp_ca_file=_smtp_ca_file(get("SMTP_CA_FILE")),
            mail_from=mail_from,
            cors_origins=get_list("CORS_ORIGINS"),
            trusted_proxies=get_list("TRUSTED_PROXIES"),
            argon2_memory_kib=get_int("ARGON2_MEMORY_KIB", 65536),
            argon2_time_cost=get_int("ARGON2_TIME_COST", 3),
            argon2_parallelism=get_int("ARGON2_PARALLELISM", 4),
            hash_concurrency=get_int("HASH_CONCURRENCY", 2),
            run_dispatcher=get_bool("RUN_DISPATCHER", True),
            outbox_poll_seconds=get_float("OUTBOX_POLL_SECONDS", 2.0),
            retention_decided_request_days=get_int("RETENTION_DECIDED_REQUEST_DAYS", 30),
            retention_sent_mail_days=get_int("RETENTION_SENT_MAIL_DAYS", 30),
            retention_used_token_days=get_int("RETENTION_USED_TOKEN_DAYS", 7),
            retention_ended_session_days=get_int("RETENTION_ENDED_SESSION_DAYS", 30),
            retention_letter_days=get_int("RETENTION_LETTER_DAYS", 14),
            access_token_minutes=get_int("ACCESS_TOKEN_MINUTES", 30),
            device_session_days=get_int("DEVICE_SESSION_DAYS", 30),
            device_session_idle_days=get_int("DEVICE_SESSION_IDLE_DAYS", 7),
            refresh_grace_seconds=get_int("REFRESH_GRACE_SECONDS", 30),
            max_body_bytes=get_int("MAX_BODY_BYTES", 100_000),
            max_upload_bytes=get_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
            download_link_seconds=get_int("DOWNLOAD_LINK_SECONDS", 300),
            filing_reminder_weeks=get_int("FILING_REMINDER_WEEKS", 6),
            return_url_prefixes=get_list("RETURN_URL_PREFIXES"),
            top_up_max_cents=get_int("TOP_UP_MAX_CENTS", 100_000),
            execution_timeout_seconds=get_float("EXECUTION_TIMEOUT_SECONDS", 10.0),
            trusted_documents_only=get_bool("TRUSTED_DOCUMENTS_ONLY", False),
            log_level=get("LOG_LEVEL", "INFO").upper(),
            **_psp(get, get_bool, get_int, production=mode == "production"),
            **_seal(get, production=mode == "production"),
            extract_link_hours=get_int("EXTRACT_LINK_HOURS", 72),
            extract_link_downloads=get_int("EXTRACT_LINK_DOWNLOADS", 5),
            **_creditor(get, production=mode == "production"),
            reminder_days=get_int("REMINDER_DAYS", 14),
            formal_notice_days=get_int("FORMAL_NOTICE_DAYS", 14),
        )
        if not 1 <= settings.reminder_days <= 365 or not 1 <= settings.formal_notice_days <= 365:
            raise SettingsError("TOEGANG_REMINDER_DAYS and TOEGANG_FORMAL_NOTICE_DAYS: 1 to 365")
        if not 1 <= settings.access_token_minutes <= 30:
            raise SettingsError("TOEGANG_ACCESS_TOKEN_MINUTES must be 1 to 30")
        if not 1 <= settings.device_session_days <= 30:
            raise SettingsError("TOEGANG_DEVICE_SESSION_DAYS must be 1 to 30")
        if not 1 <= settings.device_session_idle_days <= settings.device_session_days:
            raise SettingsError(
                "TOEGANG_DEVICE_SESSION_IDLE_DAYS must be 1 to TOEGANG_DEVICE_SESSION_DAYS"
            )
        if not 0 <= settings.refresh_grace_seconds <= 300:
            raise SettingsError("TOEGANG_REFRESH_GRACE_SECONDS must be 0 to 300")
        if not 1 <= settings.extract_link_hours <= 24 * 31:
            raise SettingsError("TOEGANG_EXTRACT_LINK_HOURS must be 1 to 744")
        if not 1 <= settings.extract_link_downloads <= 100:
            raise SettingsError("TOEGANG_EXTRACT_LINK_DOWNLOADS must be 1 to 100")
        if settings.top_up_max_cents < 500:
            raise SettingsError("TOEGANG_TOP_UP_MAX_CENTS must be at least 500 (EUR 5)")
        if (
            settings.argon2_memory_kib < 19456
            or settings.argon2_time_cost < 2
            or settings.argon2_parallelism < 1
        ):
            raise SettingsError("argon2 parameters below OWASP's minimum (m=19 MiB, t=2, p=1)")
        return settings


def _seal(get: Callable[[str], str], *, production: bool) -> dict[str, Any]:
    """The seal's files: both or neither, each an existing file; required in production."""
    cert, key = get("SEAL_CERT_FILE"), get("SEAL_KEY_FILE")
    if bool(cert) != bool(key):
        raise SettingsError("TOEGANG_SEAL_CERT_FILE and TOEGANG_SEAL_KEY_FILE go together")
    if production and not cert:
        raise SettingsError(
            "TOEGANG_SEAL_CERT_FILE and TOEGANG_SEAL_KEY_FILE are required in production: the "
            "digitally certified extract is sealed with the register's certificate"
        )
    for variable, value in (("SEAL_CERT_FILE", cert), ("SEAL_KEY_FILE", key)):
        if value and not Path(value).is_file():
            raise SettingsError(f"TOEGANG_{variable} names no file")
    return {
        "seal_cert_file": Path(cert) if cert else None,
        "seal_key_file": Path(key) if key else None,
        "seal_key_password": get("SEAL_KEY_PASSWORD"),
    }


def _creditor(get: Callable[[str], str], *, production: bool) -> dict[str, Any]:
    """The register's bank account (TOEGANG_CREDITOR_*): all four in production, each checked
    (schwifty for the IBAN and BIC; the creditor identifier's check digits by hand, as
    schwifty has none for it)."""
    values = {name: get(f"CREDITOR_{name}") for name in DEMO_CREDITOR}
    missing = [f"TOEGANG_CREDITOR_{name}" for name, value in values.items() if not value]
    if production and missing:
        raise SettingsError(
            f"{', '.join(missing)} required in production: refunds are paid out from, and "
            "direct debits collected to, the register's own bank account"
        )
    values = {name: value or DEMO_CREDITOR[name] for name, value in values.items()}
    if not 1 <= len(values["NAME"]) <= 70:
        raise SettingsError("TOEGANG_CREDITOR_NAME must be 1 to 70 characters (SEPA)")
    try:
        iban = IBAN(values["IBAN"]).compact
        bic = str(BIC(values["BIC"]))
    except SchwiftyException as exc:
        raise SettingsError(f"TOEGANG_CREDITOR_IBAN or TOEGANG_CREDITOR_BIC: {exc}") from None
    creditor_id = values["ID"].replace(" ", "").upper()
    if not _valid_creditor_id(creditor_id):
        raise SettingsError(
            "TOEGANG_CREDITOR_ID is no SEPA creditor identifier (like NL69ZZZ123456780000)"
        )
    return {
        "creditor_name": values["NAME"],
        "creditor_iban": str(iban),
        "creditor_bic": bic,
        "creditor_id": creditor_id,
    }


def _valid_creditor_id(value: str) -> bool:
    """Country, check digits, business code (3), national identifier: the check digits are
    ISO 7064 MOD 97-10 over the national identifier, the country and "00" (EPC262-08)."""
    if not 8 <= len(value) <= 35 or not value.isascii() or not value.isalnum():
        return False
    country, check, national = value[:2], value[2:4], value[7:]
    if not (country.isalpha() and check.isdigit()):
        return False
    digits = "".join(str(int(c, 36)) for c in national + country + "00")
    return 98 - int(digits) % 97 == int(check)


def _check_return_url_prefix(prefix: str, *, production: bool) -> None:
    """An app link (`nl.kvk.toegang://betaling/`) or an https path (`https://app.nl/terug/`).

    It must name a scheme and end with "/": a prefix `https://app.nl` would also allow
    `https://app.nl.evil.example/`."""
    parts = urlsplit(prefix)
    if not parts.scheme or not prefix.endswith("/") or any(c.isspace() for c in prefix):
        raise SettingsError(
            f"TOEGANG_RETURN_URL_PREFIXES: {prefix!r} is no prefix like "
            "nl.kvk.toegang://betaling/ (a scheme, ending with /)"
        )
    if production and parts.scheme == "http":
        raise SettingsError(f"TOEGANG_RETURN_URL_PREFIXES: {prefix!r} must be https in production")
    if parts.scheme in {"javascript", "data", "file", "vbscript"}:
        raise SettingsError(f"TOEGANG_RETURN_URL_PREFIXES: {prefix!r} is not allowed")


def _smtp_tls(env: Mapping[str, str], get: Callable[[str], str], *, production: bool) -> SmtpTls:
    """The SMTP TLS mode, refused where credentials or mail could go in clear text."""
    if "TOEGANG_SMTP_STARTTLS" in env:
        # Its 0 meant "never upgrade": refused rather than guessed at, so nobody keeps it.
        raise SettingsError(
            "TOEGANG_SMTP_STARTTLS is no longer read: set TOEGANG_SMTP_TLS to "
            "starttls, tls-on-connect or opportunistic instead"
        )
    raw = get("SMTP_TLS").lower() or SmtpTls.OPPORTUNISTIC
    try:
        mode = SmtpTls(raw)
    except ValueError:
        choices = ", ".join(m.value for m in SmtpTls)
        raise SettingsError(f"TOEGANG_SMTP_TLS must be one of {choices}, not {raw!r}") from None
    if mode is SmtpTls.OPPORTUNISTIC and (get("SMTP_USERNAME") or get("SMTP_PASSWORD")):
        raise SettingsError(
            "TOEGANG_SMTP_USERNAME and TOEGANG_SMTP_PASSWORD go only over TLS: set "
            "TOEGANG_SMTP_TLS=starttls or tls-on-connect (opportunistic may send them in clear)"
        )
    if production:
        if not get("SMTP_HOST"):
            raise SettingsError(
                "TOEGANG_SMTP_HOST is required in production (without it, mail only lands "
                "in the data folder)"
            )
        if mode is SmtpTls.OPPORTUNISTIC:
            raise SettingsError(
                "TOEGANG_SMTP_TLS must be starttls or tls-on-connect in production: "
                "opportunistic sends in clear text when STARTTLS is not offered"
            )
    return mode


def _psp(
    get: Callable[[str], str],
    get_bool: Callable[[str, bool], bool],
    get_int: Callable[[str, int], int],
    *,
    production: bool,
) -> dict[str, Any]:
    """The payment provider's settings; production takes the sandbox only when told to."""
    provider = get("PSP").lower() or "sandbox"
    if provider not in PSP_PROVIDERS:
        raise SettingsError(
            f"TOEGANG_PSP must be one of {', '.join(PSP_PROVIDERS)}, not {provider!r}"
        )
    in_production = get_bool("PSP_SANDBOX_IN_PRODUCTION", False)
    if production and provider == "sandbox" and not in_production:
        raise SettingsError(
            "TOEGANG_PSP=sandbox in production: its payments are decided by a button, and no "
            "money moves. Choose a real provider, or set TOEGANG_PSP_SANDBOX_IN_PRODUCTION=1 "
            "for a demonstration"
        )
    webhook_secret = get("PSP_WEBHOOK_SECRET")
    if webhook_secret and len(webhook_secret) < 32:
        raise SettingsError("TOEGANG_PSP_WEBHOOK_SECRET must be at least 32 characters")
    minutes = get_int("PSP_PAYMENT_MINUTES", 15)
    if not 1 <= minutes <= 24 * 60:
        raise SettingsError("TOEGANG_PSP_PAYMENT_MINUTES must be between 1 and 1440")
    return {
        "psp": provider,
        "psp_sandbox_in_production": in_production,
        "psp_webhook_secret": webhook_secret,
        "psp_payment_minutes": minutes,
    }


def _smtp_ca_file(raw: str) -> Path | None:
    if not raw:
        return None
    path = Path(raw).resolve()
    if not path.is_file():
        raise SettingsError(f"TOEGANG_SMTP_CA_FILE: {raw!r} is no file")
    return path


def _check_database_url(variable: str, url: str, *, has_ca_file: bool, production: bool) -> None:
    """TLS to PostgreSQL is set by TOEGANG_DATABASE_CA_FILE only; production needs it off-host.

    The messages never quote the URL: it may hold a password.
    """
    if not url.startswith("postgresql"):
        return
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SettingsError(f"TOEGANG_{variable} is no database URL") from exc
    # asyncpg takes no sslmode (connecting fails) and ssl=require does not verify the server.
    tls_parameters = sorted(key for key in parsed.query if key.startswith("ssl"))
    if tls_parameters:
        raise SettingsError(
            f"TOEGANG_{variable}: leave {', '.join(tls_parameters)} out of the URL; "
            "set TOEGANG_DATABASE_CA_FILE to a PEM bundle for verified TLS"
        )
    if production and not has_ca_file and not _on_this_host(parsed.host, parsed.query.get("host")):
        raise SettingsError(
            f"TOEGANG_{variable}: a PostgreSQL server on another host needs "
            "TOEGANG_DATABASE_CA_FILE in production (verified TLS); only 127.0.0.1, ::1, "
            "localhost and a Unix socket path may do without"
        )


def _on_this_host(host: str | None, query_hosts: str | tuple[str, ...] | None) -> bool:
    """Loopback names and Unix socket directories only: with no host, asyncpg reads PGHOST."""
    if host:
        hosts: tuple[str, ...] = (host,)
    elif isinstance(query_hosts, str):
        hosts = (query_hosts,)
    else:
        hosts = query_hosts or ()
    return bool(hosts) and all(_is_local(h) for h in hosts)


def _is_local(host: str) -> bool:
    """127.0.0.0/8, ::1, localhost or a socket path; a ?host= entry may carry its port."""
    if host.startswith("/"):
        return True
    if host.startswith("["):
        host = host[1 : host.find("]")]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _development_secret(data_dir: Path) -> str:
    """A per-data-folder random key, so development needs no setting and restarts keep sessions.

    Made once, also when two processes start at once (the loser reads the winner's key);
    an empty or short key file is refused rather than taken as a key.
    """
    path = data_dir / "secret.key"
    if path.exists():
        key = path.read_text().strip()
    else:
        key = create_once(path, secrets.token_urlsafe(48)).strip()
    try:
        parse_secret_keys(key)
    except ValueError as exc:
        raise SettingsError(f"{path}: {exc}; remove the file to make a new key") from None
    return key
