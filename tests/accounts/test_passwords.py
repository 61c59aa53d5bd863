"""SPEC §6 passwords and password hashing: the rules, every problem at once, argon2id, rehash."""

from __future__ import annotations

import asyncio
import unicodedata
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from gql import i18n
from gql.models.accounts import Account
from gql.services.accounts import access_codes
from gql.services.accounts.passwords import check_password, common_passwords
from gql.services.shared.errors import Problems
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings, SettingsError
from tests.support.api import gql, http_client, outbox, replace_settings, running_app
from tests.support.factories import OTHER_PASSWORD, PASSWORD, add_account, log_in

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) {
    __typename
    ... on RequestAccessCodePayload { usage delivery }
    ... on InvalidInput { code message field problems { field message } }
  }
}
"""

CHANGE_PASSWORD = """
mutation ChangePassword($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename
    ... on ChangePasswordPayload { message }
    ... on InvalidInput { code message field problems { field message } }
  }
}
"""

NAME = "Anna de Vries"
EMAIL = "anna@example.nl"
# In the zxcvbn list as such (checked in a test below), and 16 characters long.
COMMON_LONG = "1qaz2wsx3edc4rfv"
FIFTEEN = "zomer in delft!"
FOURTEEN = "zomer in delft"
SIXTY_FOUR = "de kat van de buren slaapt elke middag op ons warme dak, echt 64"
EMOJI = "🦆🦆 eend zwemt 🦆🦆"
DIACRITICS = "crème brûlée façade naïef"
CJK = "東京の夜は静かで美しい、本当に"
TWO_HUNDRED = (
    "Op een koude ochtend in februari fietste ik langs de grachten van Leiden, "
    "dacht aan crème brûlée en een reis naar 東京, en zag een eend 🦆 die rustig "
    "tussen de ijsschotsen zwom alsof er niets aan de hand"
)
assert len(TWO_HUNDRED) == 200 and len(SIXTY_FOUR) == 64 and len(FIFTEEN) == 15


def msg(key: str, **params: object) -> str:
    return i18n.text(key, "nl", **params)


def application(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "usage": "PRIVATE",
        "name": NAME,
        "email": EMAIL,
        "password": FIFTEEN,
    }
    values.update(overrides)
    return {"input": values}


async def account_count(app: Starlette) -> int:
    async with app.state.deps.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def account_by_email(app: Starlette, email: str) -> Account:
    async with app.state.deps.db.read() as session:
        return (
            await session.execute(select(Account).where(Account.email_normalized == email))
        ).scalar_one()


async def password_hash_of(app: Starlette, code: str) -> str:
    async with app.state.deps.db.read() as session:
        return str(
            await session.scalar(
                select(Account.password_hash).where(
                    Account.access_code == access_codes.normalize(code)
                )
            )
        )


# ---- the rules, as plain functions ------------------------------------------------------------


def problems_for(password: str) -> list[str]:
    problems = Problems()
    asyncio.run(
        check_password(
            problems,
            password,
            field="password",
            email=EMAIL,
            name=NAME,
            access_code="KQ7M4XRTP9WD",
        )
    )
    return [p.message_key for p in problems.items]


def test_the_common_password_list_is_local_and_holds_at_least_3000_passwords():
    # when
    passwords = common_passwords()
    # then
    assert len(passwords) >= 3000
    assert COMMON_LONG in passwords
    assert "password" in passwords


@pytest.mark.parametrize(
    "password",
    [FIFTEEN, SIXTY_FOUR, TWO_HUNDRED, EMOJI, DIACRITICS, CJK],
    ids=["15-chars", "64-chars", "200-chars", "emoji", "diacritics", "cjk"],
)
def test_the_rules_accept_long_passwords_and_any_unicode_without_composition_rules(password):
    # then
    assert problems_for(password) == []


@pytest.mark.parametrize(
    ("password", "key"),
    [
        (FOURTEEN, "password_too_short"),
        ("東京の夜は静かで美しいです", "password_too_short"),  # 13 characters
        (COMMON_LONG, "password_common"),
        (COMMON_LONG.upper(), "password_common"),
        ("mijn adres is Anna@Example.nl!", "password_personal"),
        ("de vries familie fietst graag", "password_personal"),
        ("mijn code is kq7m-4xrt-p9wd, ok", "password_personal"),
    ],
    ids=["14-chars", "13-cjk", "common", "common-upper", "email", "name", "access-code"],
)
def test_the_rules_refuse_short_common_and_personal_passwords(password, key):
    # then
    assert problems_for(password) == [key]


# ---- the rules through the API ---------------------------------------------------------------


async def test_request_access_code_refuses_a_password_of_14_characters_and_creates_nothing(
    app, client
):
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, application(password=FOURTEEN))
    # then
    result = body["data"]["requestAccessCode"]
    assert result["__typename"] == "InvalidInput"
    assert result["code"] == "INVALID_INPUT"
    assert result["field"] == ["password"]
    assert result["problems"] == [
        {"field": ["password"], "message": msg("password_too_short", minimum=15)}
    ]
    assert await account_count(app) == 0
    assert await outbox(app) == []


async def test_request_access_code_accepts_a_password_of_15_characters(app, client):
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, application(password=FIFTEEN))
    # then
    result = body["data"]["requestAccessCode"]
    assert result == {
        "__typename": "RequestAccessCodePayload",
        "usage": "PRIVATE",
        "delivery": "EMAIL",
    }
    account = await account_by_email(app, EMAIL)
    assert [(m.template, m.recipient) for m in await outbox(app)] == [("access_code_issued", EMAIL)]
    assert (await log_in(client, account.access_code, FIFTEEN))["__typename"] == "LogInPayload"


@pytest.mark.parametrize("password", [SIXTY_FOUR, TWO_HUNDRED], ids=["64-chars", "200-unicode"])
async def test_a_long_unicode_password_is_accepted_and_signs_in(app, client, password):
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, application(password=password))
    # then
    assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"
    account = await account_by_email(app, EMAIL)
    assert (await log_in(client, account.access_code, password))["__typename"] == "LogInPayload"


async def test_a_unicode_password_typed_in_another_normalization_form_signs_in(app, client):
    # given: composed characters (NFC), as most keyboards send them
    await gql(client, REQUEST_ACCESS_CODE, application(password=DIACRITICS))
    account = await account_by_email(app, EMAIL)
    decomposed = unicodedata.normalize("NFD", DIACRITICS)
    assert decomposed != DIACRITICS
    # when: the same password arrives decomposed (NFD), as some systems send it
    result = await log_in(client, account.access_code, decomposed)
    # then (NIST SP 800-63B-4: normalize before hashing)
    assert result["__typename"] == "LogInPayload"


async def test_request_access_code_refuses_a_common_password(app, client):
    # given
    assert COMMON_LONG in common_passwords()
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, application(password=COMMON_LONG))
    # then
    result = body["data"]["requestAccessCode"]
    assert result["__typename"] == "InvalidInput"
    assert result["problems"] == [{"field": ["password"], "message": msg("password_common")}]
    assert await account_count(app) == 0
    assert await outbox(app) == []


@pytest.mark.parametrize(
    "password",
    ["mijn adres is Anna@Example.nl!", "Anna fietst elke dag naar huis"],
    ids=["email", "name"],
)
async def test_request_access_code_refuses_a_password_with_the_email_or_the_name(
    app, client, password
):
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, application(password=password))
    # then
    result = body["data"]["requestAccessCode"]
    assert result["__typename"] == "InvalidInput"
    assert result["problems"] == [{"field": ["password"], "message": msg("password_personal")}]
    assert await account_count(app) == 0
    assert await outbox(app) == []


async def test_request_access_code_lists_every_problem_at_once_and_sends_nothing(app, client):
    # when
    body = await gql(
        client,
        REQUEST_ACCESS_CODE,
        application(name="   ", email="geen-e-mailadres", password="kort"),
    )
    # then
    result = body["data"]["requestAccessCode"]
    assert result["__typename"] == "InvalidInput"
    assert result["code"] == "INVALID_INPUT"
    assert result["message"] == msg("invalid_input")
    assert result["field"] is None
    assert sorted(result["problems"], key=lambda p: p["field"]) == [
        {"field": ["email"], "message": msg("email_invalid")},
        {"field": ["name"], "message": msg("required")},
        {"field": ["password"], "message": msg("password_too_short", minimum=15)},
    ]
    assert await account_count(app) == 0
    assert await outbox(app) == []


async def test_change_password_refuses_a_new_password_containing_the_access_code(app, client):
    # given
    code = await add_account(app)
    await log_in(client, code)
    before = await password_hash_of(app, code)
    # when
    body = await gql(
        client,
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": f"mijn code is {code.lower()}!"}},
    )
    # then
    result = body["data"]["changePassword"]
    assert result["__typename"] == "InvalidInput"
    assert result["problems"] == [{"field": ["newPassword"], "message": msg("password_personal")}]
    assert await password_hash_of(app, code) == before
    assert await outbox(app) == []


async def test_change_password_with_a_wrong_current_password_changes_nothing_and_is_throttled(
    app, client
):
    # given
    code = await add_account(app)
    await log_in(client, code)
    before = await password_hash_of(app, code)
    wrong = {
        "input": {"currentPassword": "niet mijn wachtwoord hoor", "newPassword": OTHER_PASSWORD}
    }
    # when
    body = await gql(client, CHANGE_PASSWORD, wrong)
    # then
    result = body["data"]["changePassword"]
    assert result["__typename"] == "InvalidInput"
    assert result["field"] == ["currentPassword"]
    assert result["problems"] == [
        {"field": ["currentPassword"], "message": msg("invalid_current_password")}
    ]
    assert await password_hash_of(app, code) == before
    assert await outbox(app) == []
    async with http_client(app, ip="10.1.2.3") as elsewhere:
        assert (await log_in(elsewhere, code, PASSWORD))["__typename"] == "LogInPayload"
    # and: the failure counts like a failed sign-in, so guessing here is throttled too
    for _ in range(2):
        again = await gql(client, CHANGE_PASSWORD, wrong)
        assert again["data"]["changePassword"]["__typename"] == "InvalidInput"
    verifications = app.state.deps.hashing.verifications
    limited = await gql(client, CHANGE_PASSWORD, wrong)
    assert limited["data"] is None
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert app.state.deps.hashing.verifications == verifications


# ---- hashing ----------------------------------------------------------------------------------


async def test_the_production_default_is_argon2id_with_64_mib_three_passes_four_lanes(
    tmp_path: Path,
):
    # given
    settings = Settings.from_env({"TOEGANG_DATA_DIR": str(tmp_path)})
    # when
    hashing = PasswordHashing(
        HashParameters(
            settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
        ),
        concurrency=1,
    )
    password_hash = await hashing.hash(PASSWORD)
    # then
    assert (
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
    ) == (65536, 3, 4)
    assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert await hashing.verify(password_hash, PASSWORD)
    assert not await hashing.verify(password_hash, OTHER_PASSWORD)


@pytest.mark.parametrize(
    "variable",
    [
        {"TOEGANG_ARGON2_MEMORY_KIB": "19455"},
        {"TOEGANG_ARGON2_TIME_COST": "1"},
        {"TOEGANG_ARGON2_PARALLELISM": "0"},
    ],
    ids=["memory", "time", "parallelism"],
)
def test_settings_below_the_owasp_minimum_are_refused(tmp_path: Path, variable):
    # then
    with pytest.raises(SettingsError):
        Settings.from_env({"TOEGANG_DATA_DIR": str(tmp_path), **variable})


def test_settings_at_the_owasp_minimum_are_accepted(tmp_path: Path):
    # when
    settings = Settings.from_env(
        {
            "TOEGANG_DATA_DIR": str(tmp_path),
            "TOEGANG_ARGON2_MEMORY_KIB": "19456",
            "TOEGANG_ARGON2_TIME_COST": "2",
            "TOEGANG_ARGON2_PARALLELISM": "1",
        }
    )
    # then
    assert (
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
    ) == (19456, 2, 1)


async def test_a_hash_with_older_parameters_is_upgraded_when_its_owner_signs_in(settings, clock):
    # given: the app now hashes with more memory than the stored hash was made with
    stronger = replace_settings(settings, argon2_memory_kib=20480)
    async with running_app(stronger, clock) as app, http_client(app) as client:
        code = await add_account(app)
        weak = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1).hash(PASSWORD)
        async with app.state.deps.db.write() as session:
            await session.execute(
                update(Account)
                .where(Account.access_code == access_codes.normalize(code))
                .values(password_hash=weak)
            )
            await session.commit()
        failed = await log_in(client, code, "niet het goede wachtwoord")
        assert failed["__typename"] == "InvalidCredentials"
        assert await password_hash_of(app, code) == weak
        # when
        result = await log_in(client, code)
        # then
        assert result["__typename"] == "LogInPayload"
        upgraded = await password_hash_of(app, code)
        assert upgraded.startswith("$argon2id$v=19$m=20480,t=2,p=1$")
        assert PasswordHasher().verify(upgraded, PASSWORD)
        assert (await log_in(client, code))["__typename"] == "LogInPayload"
