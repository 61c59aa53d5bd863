"""Secrets at rest: a private data folder, one key per purpose with rotation, sealed TOTP
secrets, and logs that carry no values at any level."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette

from gql import logs
from gql.clock import FrozenClock
from gql.db import Database
from gql.keys import InvalidToken, Keyring, Purpose, keyring
from gql.migrate import upgrade
from gql.models.accounts import Account
from gql.services.accounts.staff_accounts import reseal_totp_secrets
from gql.settings import Settings, SettingsError, _development_secret
from tests.support.api import gql, http_client, outbox, replace_settings, running_app
from tests.support.factories import PASSWORD, add_company, add_staff, log_in, totp_now

KEY_A = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ"  # 37 bytes
KEY_B = "b" * 64  # 48 bytes of base64url
REQUEST = """
mutation R($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename ... on Error { code message } }
}
"""


# ---- the data folder -----------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_under_umask_022_the_data_folder_is_0700_and_every_file_in_it_0600(
    tmp_path: Path, umask_022: None
) -> None:
    # given: a fresh data folder, as on a new machine
    data = tmp_path / "fresh" / "data"
    settings = Settings.from_env({"TOEGANG_DATA_DIR": str(data)})
    await asyncio.to_thread(upgrade, settings.database_url)
    database = Database(settings.database_url)
    try:
        # when: a connection is open and has written (the WAL and shared memory exist)
        async with database.write() as session:
            await session.execute(text("CREATE TABLE probe (x INTEGER)"))
            await session.commit()
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT count(*) FROM probe"))
            # then
            assert mode(data) == 0o700
            for name in ("toegang.db", "toegang.db-wal", "toegang.db-shm", "secret.key"):
                assert mode(data / name) == 0o600, name
    finally:
        await database.dispose()


async def test_a_database_left_world_readable_is_corrected_before_it_is_opened(
    tmp_path: Path, umask_022: None
) -> None:
    # given: files of an older, laxer setup
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    db = data / "toegang.db"
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{db}")
    for path in (db, data / "toegang.db-wal", data / "toegang.db-shm"):
        path.touch()
        path.chmod(0o644)
    # when
    settings = Settings.from_env({"TOEGANG_DATA_DIR": str(data)})
    database = Database(settings.database_url)
    await database.dispose()
    # then
    assert mode(data) == 0o700
    assert {mode(p) for p in data.glob("toegang.db*")} == {0o600}


def test_two_processes_making_the_key_at_once_end_with_one_key(tmp_path: Path) -> None:
    # given: twenty fresh folders, two starters racing in each
    for round_ in range(20):
        folder = tmp_path / f"round-{round_}"
        folder.mkdir(mode=0o700)
        barrier = threading.Barrier(2)
        keys: list[str] = []

        def start(
            folder: Path = folder, barrier: threading.Barrier = barrier, keys: list[str] = keys
        ) -> None:
            barrier.wait()
            keys.append(_development_secret(folder))

        threads = [threading.Thread(target=start) for _ in range(2)]
        # when
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # then: both read the one key that is on disk, and no temporary file is left
        assert keys[0] == keys[1] == (folder / "secret.key").read_text()
        assert [p.name for p in folder.iterdir()] == ["secret.key"]


@pytest.mark.parametrize("content", ["", "   \n", "c2hvcnQ"], ids=["empty", "blank", "short"])
def test_an_empty_or_short_key_file_is_refused(tmp_path: Path, content: str) -> None:
    # given
    (tmp_path / "secret.key").write_text(content)
    # when / then
    with pytest.raises(SettingsError, match=r"secret\.key"):
        Settings.from_env({"TOEGANG_DATA_DIR": str(tmp_path)})


# ---- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["k" * 40, "not base64!" * 5, f"{KEY_A},short", "", "a" * 63],
    ids=["30-bytes", "not-base64", "second-short", "empty", "odd-hex-is-base64-47"],
)
def test_a_secret_key_list_with_a_key_shorter_than_32_bytes_or_unreadable_is_refused(
    tmp_path: Path, value: str
) -> None:
    if value == "a" * 63:
        # 63 hex characters are read as base64url: 47 bytes, accepted.
        Settings.from_env({"TOEGANG_DATA_DIR": str(tmp_path), "TOEGANG_SECRET_KEY": value})
        return
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env(
            {
                "TOEGANG_DATA_DIR": str(tmp_path),
                "TOEGANG_ENV": "production",
                "TOEGANG_PUBLIC_URL": "https://toegang.example",
                "TOEGANG_SMTP_HOST": "smtp.toegang.example",
                "TOEGANG_SMTP_TLS": "starttls",
                "TOEGANG_SECRET_KEY": value,
            }
        )


def test_a_key_listed_second_still_opens_what_it_sealed_and_new_data_opens_only_under_the_first() -> (
    None
):
    # given: data sealed before the rotation, under the old key alone
    old = keyring(KEY_A)
    sealed_before = old.seal(Purpose.MAIL_BODY, "een resetlink")
    signed_before = old.sign(Purpose.THROTTLE_KEY, "code:ABCD")
    # when: the new key comes first, the old one second
    rotated = keyring(f"{KEY_B},{KEY_A}")
    sealed_after = rotated.seal(Purpose.MAIL_BODY, "een nieuwe link")
    # then
    assert rotated.unseal(Purpose.MAIL_BODY, sealed_before) == "een resetlink"
    assert rotated.verify(Purpose.THROTTLE_KEY, "code:ABCD", signed_before)
    assert keyring(KEY_B).unseal(Purpose.MAIL_BODY, sealed_after) == "een nieuwe link"
    with pytest.raises(InvalidToken):
        old.unseal(Purpose.MAIL_BODY, sealed_after)


def test_each_purpose_has_its_own_key() -> None:
    # given
    ring = keyring(KEY_A)
    sealed = ring.seal(Purpose.TOTP_SECRET, "JBSWY3DPEHPK3PXP")
    # then: another purpose's key opens nothing, and signatures differ per purpose
    for other in (Purpose.MAIL_BODY, Purpose.RECOVERY_LOOKUP):
        with pytest.raises(InvalidToken):
            ring.unseal(other, sealed)
    signatures = {ring.sign(p, "same value") for p in Purpose}
    assert len(signatures) == len(Purpose)


def test_mail_sealed_with_the_earlier_single_key_derivation_still_opens() -> None:
    # given: a body sealed as the outbox sealed it before per-purpose keys (sha256 of a label)
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    legacy = Fernet(
        base64.urlsafe_b64encode(
            hashlib.sha256(b"toegang outbox body v1\x00" + KEY_A.encode()).digest()
        )
    ).encrypt(b"oude mail")
    # then
    assert keyring(KEY_A).unseal(Purpose.MAIL_BODY, legacy.decode()) == "oude mail"
    assert isinstance(keyring(KEY_A), Keyring)


# ---- TOTP secrets --------------------------------------------------------------------------


async def test_a_staff_totp_secret_is_stored_sealed_and_still_signs_in(
    app: Starlette, client: httpx.AsyncClient, backend: str, settings: Settings
) -> None:
    # given
    code, secret = await add_staff(app)
    # when
    result = await log_in(client, code, totp=totp_now(app, secret))
    # then
    assert result["__typename"] == "LogInPayload"
    async with app.state.deps.db.read() as session:
        stored = await session.scalar(select(Account.totp_secret).where(Account.usage == "STAFF"))
    assert stored is not None and secret not in stored
    assert app.state.deps.keys.unseal(Purpose.TOTP_SECRET, stored) == secret
    if backend == "sqlite":
        # nothing of the secret in any file of the data folder, after a full checkpoint
        async with app.state.deps.db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
        for path in [*database.parent.rglob("*"), *settings.data_dir.rglob("*")]:
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


async def test_the_migration_seals_a_totp_secret_stored_in_plain_text(tmp_path: Path) -> None:
    # given: a database at the revision before, with a staff member's secret in plain text
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await asyncio.to_thread(upgrade, url, "0003")
    database = Database(url)
    async with database.write() as session:
        await session.execute(
            text(
                "INSERT INTO account (access_code, usage, name, email, email_normalized, "
                "is_main_user, password_hash, language, totp_secret, active, created_at, "
                "password_changed_at) VALUES ('STAFF2345678', 'STAFF', 'Sam', 's@kvk.example', "
                "'s@kvk.example', 0, 'x', 'nl', 'JBSWY3DPEHPK3PXP', 1, '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00')"
            )
        )
        await session.commit()
    await database.dispose()
    # when
    await asyncio.to_thread(upgrade, url, "head", secret_key=KEY_A)
    # then
    database = Database(url)
    async with database.read() as session:
        stored = await session.scalar(select(Account.totp_secret))
    await database.dispose()
    assert stored is not None and "JBSWY3DPEHPK3PXP" not in stored
    assert keyring(KEY_A).unseal(Purpose.TOTP_SECRET, stored) == "JBSWY3DPEHPK3PXP"


# ---- logs ----------------------------------------------------------------------------------


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The app's JSON log configured at DEBUG into a buffer; the logging setup restored."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in ("toegang", *logs.QUIET)}
    buffer = io.StringIO()
    logs.configure("DEBUG")
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_at_debug_level_no_log_line_carries_a_code_hash_iban_or_address(
    app: Starlette, client: httpx.AsyncClient, staff: httpx.AsyncClient, debug_log: io.StringIO
) -> None:
    # given: a business request with a mandate, approved (its code goes by post), and a
    # private code issued and used to sign in
    await add_company(app, kvk_number="12345678", email="info@bedrijf.example")
    iban = "NL91ABNA0417164300"
    business = {
        "usage": "BUSINESS",
        "name": "Bea Bakker",
        "email": "bea.bakker@example.nl",
        "password": PASSWORD,
        "kvkNumber": "12345678",
        "mandate": {"iban": iban, "accountHolder": "Bedrijf", "consent": True},
    }
    private = {
        "usage": "PRIVATE",
        "name": "Piet Pieterse",
        "email": "piet.pieterse@example.nl",
        "password": PASSWORD,
    }
    # when
    async with http_client(app, ip="192.0.2.7") as visitor:
        await gql(visitor, REQUEST, {"input": business})
        await gql(visitor, REQUEST, {"input": private})
    requests = await gql(staff, "query { staff { accessCodeRequests { edges { node { id } } } } }")
    [edge] = requests["data"]["staff"]["accessCodeRequests"]["edges"]
    approve = "mutation A($input: StaffApproveAccessCodeRequestInput!) { staffApproveAccessCodeRequest(input: $input) { __typename } }"
    await gql(staff, approve, {"input": {"requestId": edge["node"]["id"]}})
    mails = await outbox(app)
    private_code = next(m for m in mails if m.recipient == private["email"]).body.split(": ")[1][
        :14
    ]
    await log_in(client, private_code)
    # then
    logged = debug_log.getvalue()
    assert logged  # DEBUG is on: the app's own lines are there
    async with app.state.deps.db.read() as session:
        hashes = list((await session.execute(select(Account.password_hash))).scalars())
        codes = list((await session.execute(select(Account.access_code))).scalars())
    for secret in [*hashes, *codes, private_code, iban, business["email"], private["email"]]:
        assert secret not in logged, secret
    assert "$argon2id$" not in logged


async def test_after_a_rotation_resealed_totp_secrets_open_under_the_new_key_alone(
    app: Starlette, settings: Settings, clock: FrozenClock
) -> None:
    # given: a staff member whose secret was sealed under the old key
    code, secret = await add_staff(app)
    rotated = replace_settings(settings, secret_key=f"{KEY_B},{settings.secret_key}")
    # when: the new key goes first and the secrets are sealed again; then the old one goes
    async with running_app(rotated, clock) as during:
        assert await reseal_totp_secrets(during.state.deps) == 1
    after = replace_settings(settings, secret_key=KEY_B)
    async with running_app(after, clock) as new_app, http_client(new_app) as client:
        result = await log_in(client, code, totp=totp_now(new_app, secret))
    # then
    assert result["__typename"] == "LogInPayload"
