"""Account recovery: forgotten password, lost access code, and the access code's own format."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette

from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.models.accounts import OneTimeToken
from gql.services.accounts import access_codes
from gql.services.shared.deps import sha256_hex
from tests.support.api import gql, http_client, outbox, process_recovery
from tests.support.factories import (
    CODE_PATTERN,
    OTHER_PASSWORD,
    PASSWORD,
    VIEWER,
    add_account,
    add_company,
    add_staff,
    code_in,
    log_in,
    token_in,
)

KVK = "12345678"
REGISTER_EMAIL = "info@testbedrijf.example"

REQUEST_RESET = """
mutation RequestReset($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) {
    __typename
    ... on RequestPasswordResetPayload { message }
    ... on Error { code message field }
  }
}
"""

RESET = """
mutation Reset($input: ResetPasswordInput!) {
  resetPassword(input: $input) {
    __typename
    ... on ResetPasswordPayload { message }
    ... on InvalidInput { code field problems { field message } }
    ... on Error { code message field }
  }
}
"""

REQUEST_NEW_CODE = """
mutation RequestNewCode($input: RequestNewAccessCodeInput!) {
  requestNewAccessCode(input: $input) {
    __typename
    ... on RequestNewAccessCodePayload { message }
    ... on Error { code message field }
  }
}
"""

CONFIRM_NEW_CODE = """
mutation ConfirmNewCode($input: ConfirmNewAccessCodeInput!) {
  confirmNewAccessCode(input: $input) {
    __typename
    ... on ConfirmNewAccessCodePayload { delivery message }
    ... on Error { code message field }
  }
}
"""

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename }
}
"""


async def mutate(
    client: httpx.AsyncClient, document: str, field: str, values: dict[str, Any]
) -> dict[str, Any]:
    body = await gql(client, document, {"input": values})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


async def request_reset(client: httpx.AsyncClient, access_code: str) -> dict[str, Any]:
    return await mutate(client, REQUEST_RESET, "requestPasswordReset", {"accessCode": access_code})


async def reset(client: httpx.AsyncClient, token: str, new_password: str) -> dict[str, Any]:
    return await mutate(
        client, RESET, "resetPassword", {"token": token, "newPassword": new_password}
    )


async def reset_token(app: Starlette, client: httpx.AsyncClient, access_code: str) -> str:
    """Ask for a reset and read the token from the mail, as the account holder would."""
    before = len(await outbox(app))
    assert (await request_reset(client, access_code))["__typename"] == (
        "RequestPasswordResetPayload"
    )
    [mail] = (await outbox(app))[before:]
    assert mail.template == "password_reset"
    return token_in(mail.body)


async def signs_in(app: Starlette, code: str, password: str) -> bool:
    async with http_client(app, ip="192.0.2.10") as probe:
        result = await log_in(probe, code, password)
    assert result["__typename"] in {"LogInPayload", "InvalidCredentials"}, result
    return bool(result["__typename"] == "LogInPayload")


async def viewer_of(client: httpx.AsyncClient) -> dict[str, Any] | None:
    viewer: dict[str, Any] | None = (await gql(client, VIEWER))["data"]["viewer"]
    return viewer


async def new_code_token(app: Starlette, client: httpx.AsyncClient, values: dict[str, Any]) -> str:
    before = len(await outbox(app))
    result = await mutate(client, REQUEST_NEW_CODE, "requestNewAccessCode", values)
    assert result["__typename"] == "RequestNewAccessCodePayload", result
    [mail] = (await outbox(app))[before:]
    assert mail.template == "new_access_code_confirm"
    return token_in(mail.body)


# --- Forgotten password -------------------------------------------------------------------------


async def test_a_reset_request_answers_the_same_for_a_known_and_an_unknown_access_code(app, client):
    # given
    known = await add_account(app)
    unknown = access_codes.display(access_codes.generate())
    # when
    for_known = await request_reset(client, known)
    for_unknown = await request_reset(client, unknown)
    # then
    assert for_known == for_unknown
    assert for_known["__typename"] == "RequestPasswordResetPayload"
    [mail] = await outbox(app)
    assert (mail.template, mail.recipient) == ("password_reset", "piet@example.nl")
    token = token_in(mail.body)
    assert len(token) >= 22  # 128 bits or more, url-safe
    assert f"#token={token}" in mail.body
    async with app.state.deps.db.read() as session:
        [stored] = (await session.execute(select(OneTimeToken))).scalars()
    assert stored.token_hash == sha256_hex(token)  # only its hash is stored


async def test_a_reset_sets_the_new_password_and_ends_every_session_of_the_account(app, client):
    # given: the holder is signed in with a cookie here and with a bearer token elsewhere
    code = await add_account(app)
    assert (await log_in(client, code))["__typename"] == "LogInPayload"
    async with http_client(app, ip="192.0.2.20") as phone:
        device = await log_in(phone, code, session="TOKEN")
        bearer = device["token"]
    token = await reset_token(app, client, code)
    # when
    async with http_client(app, ip="192.0.2.30") as anonymous:
        result = await reset(anonymous, token, OTHER_PASSWORD)
    # then
    assert result["__typename"] == "ResetPasswordPayload"
    assert await viewer_of(client) is None
    async with http_client(app, headers={"authorization": f"Bearer {bearer}"}) as phone:
        assert await viewer_of(phone) is None
        refreshed = await gql(
            phone,
            "mutation($i: RefreshSessionInput!) { refreshSession(input: $i) { __typename } }",
            {"i": {"refreshToken": device["refreshToken"]}},
        )
        assert refreshed["data"]["refreshSession"]["__typename"] == "InvalidToken"
    assert not await signs_in(app, code, PASSWORD)
    assert await signs_in(app, code, OTHER_PASSWORD)
    assert (await outbox(app))[-1].template == "password_changed"


async def test_a_reset_token_works_once_even_under_20_concurrent_redemptions(app, client):
    # given
    code = await add_account(app)
    token = await reset_token(app, client, code)
    # when
    results = await asyncio.gather(*(reset(client, token, OTHER_PASSWORD) for _ in range(20)))
    # then
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["InvalidToken"] * 19 + ["ResetPasswordPayload"]
    assert {r["code"] for r in results if r["__typename"] == "InvalidToken"} == {"INVALID_TOKEN"}
    assert [m.template for m in await outbox(app)].count("password_changed") == 1
    assert await signs_in(app, code, OTHER_PASSWORD)


async def test_a_used_reset_token_is_refused_afterwards(app, client):
    # given
    code = await add_account(app)
    token = await reset_token(app, client, code)
    assert (await reset(client, token, OTHER_PASSWORD))["__typename"] == "ResetPasswordPayload"
    # when
    again = await reset(client, token, "weer een heel ander wachtwoord 77")
    # then
    assert again["__typename"] == "InvalidToken"
    assert again["field"] == ["token"]
    assert await signs_in(app, code, OTHER_PASSWORD)


async def test_an_expired_reset_token_is_refused_and_the_password_stays(app, client, clock):
    # given: a token, and 31 minutes pass (it lives 30)
    code = await add_account(app)
    token = await reset_token(app, client, code)
    clock.advance(minutes=31)
    mails = await outbox(app)
    # when
    result = await reset(client, token, OTHER_PASSWORD)
    # then
    assert result["__typename"] == "InvalidToken"
    assert result["code"] == "INVALID_TOKEN"
    assert await outbox(app) == mails
    assert await signs_in(app, code, PASSWORD)


async def test_a_new_password_that_breaks_the_policy_is_refused_and_the_token_still_works(
    app, client
):
    # given
    code = await add_account(app)
    token = await reset_token(app, client, code)
    # when
    short = await reset(client, token, "te kort")
    # then
    assert short["__typename"] == "InvalidInput"
    assert short["field"] == ["newPassword"]
    assert await signs_in(app, code, PASSWORD)
    assert (await reset(client, token, OTHER_PASSWORD))["__typename"] == "ResetPasswordPayload"


async def test_after_five_reset_mails_an_hour_for_one_code_more_requests_send_nothing(app, clock):
    # given: five requests within the hour from different addresses, each sending a mail
    code = await add_account(app)
    for n in range(5):
        async with http_client(app, ip=f"192.0.2.{n + 1}") as someone:
            assert (await request_reset(someone, code))["__typename"] == (
                "RequestPasswordResetPayload"
            )
        clock.advance(minutes=1)
    # when: a sixth, from yet another address
    async with http_client(app, ip="192.0.2.99") as another:
        answer = await request_reset(another, code)
    # then: the same neutral answer (nobody can lock the owner out), but no sixth mail
    assert answer["__typename"] == "RequestPasswordResetPayload"
    assert len(await outbox(app)) == 5
    # An hour after the first one, one more goes.
    clock.advance(minutes=56)
    async with http_client(app, ip="192.0.2.99") as another:
        await request_reset(another, code)
    assert len(await outbox(app)) == 6


async def test_more_than_thirty_mail_requests_an_hour_from_one_address_are_rate_limited(
    app, client
):
    # given: one address asked for 30 reset mails (for unknown codes: nothing is sent)
    for n in range(30):
        assert (await request_reset(client, f"ABCD-EFGH-{n:04d}"))["__typename"] == (
            "RequestPasswordResetPayload"
        )
    # when
    body = await gql(client, REQUEST_RESET, {"input": {"accessCode": "ABCD-EFGH-JKMN"}})
    # then
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"]


async def test_twenty_concurrent_reset_requests_send_at_most_five_mails(app):
    # given: an account, and 20 clients at once on different addresses (PostgreSQL runs them
    # truly in parallel: the counting must still be one-at-a-time)
    code = await add_account(app)

    async def ask(n: int) -> dict[str, Any]:
        async with http_client(app, ip=f"198.51.100.{n + 1}") as someone:
            return await request_reset(someone, code)

    # when
    answers = await asyncio.gather(*(ask(n) for n in range(20)))
    # then
    assert {a["__typename"] for a in answers} == {"RequestPasswordResetPayload"}
    assert len(await outbox(app)) == 5


# --- Lost access code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"email": "nobody@example.nl"}, id="unknown-email"),
        # A business account is not found without its KVK number…
        pytest.param({"email": REGISTER_EMAIL}, id="business-without-kvk"),
        # …nor with another organisation's.
        pytest.param({"email": REGISTER_EMAIL, "kvkNumber": "87654321"}, id="other-kvk"),
        # A private account is not found with a KVK number.
        pytest.param({"email": "piet@example.nl", "kvkNumber": KVK}, id="private-with-kvk"),
    ],
)
async def test_a_new_code_request_that_matches_no_account_gets_the_same_answer_and_no_mail(
    app, client, values
):
    # given
    await add_company(app)
    await add_account(app)
    await add_account(
        app, usage="BUSINESS", email=REGISTER_EMAIL, kvk_number=KVK, name="Anna Eerst"
    )
    matching = await mutate(
        client, REQUEST_NEW_CODE, "requestNewAccessCode", {"email": "PIET@example.nl"}
    )
    before = await outbox(app)
    # when
    result = await mutate(client, REQUEST_NEW_CODE, "requestNewAccessCode", values)
    # then
    assert result == matching
    assert len(before) == 1
    assert await outbox(app) == before


async def test_a_private_account_gets_a_new_code_by_email_and_keeps_its_password(app, client):
    # given: signed in, then the code is lost
    old = await add_account(app)
    assert (await log_in(client, old))["__typename"] == "LogInPayload"
    token = await new_code_token(app, client, {"email": "piet@example.nl"})
    before = len(await outbox(app))
    # when
    async with http_client(app, ip="192.0.2.40") as anonymous:
        result = await mutate(anonymous, CONFIRM_NEW_CODE, "confirmNewAccessCode", {"token": token})
    # then
    assert result["__typename"] == "ConfirmNewAccessCodePayload"
    assert result["delivery"] == "EMAIL"
    issued, notice = (await outbox(app))[before:]
    assert (issued.template, issued.recipient) == ("access_code_issued", "piet@example.nl")
    # every change of access code is confirmed with a "was this you?" (SPEC §3.1)
    assert (notice.template, notice.recipient) == ("access_code_changed", "piet@example.nl")
    assert "Was jij dit niet?" in notice.body
    new = code_in(issued.body)
    assert new.replace("-", "") not in notice.body.replace("-", "")
    assert new != old
    assert not await signs_in(app, old, PASSWORD)
    assert await signs_in(app, new, PASSWORD)
    assert await viewer_of(client) is None


async def test_a_new_code_token_works_once(app, client):
    # given
    await add_account(app)
    token = await new_code_token(app, client, {"email": "piet@example.nl"})
    first = await mutate(client, CONFIRM_NEW_CODE, "confirmNewAccessCode", {"token": token})
    mails = await outbox(app)
    # when
    second = await mutate(client, CONFIRM_NEW_CODE, "confirmNewAccessCode", {"token": token})
    # then
    assert first["__typename"] == "ConfirmNewAccessCodePayload"
    assert second["__typename"] == "InvalidToken"
    assert second["field"] == ["token"]
    assert await outbox(app) == mails


async def test_a_business_main_user_with_the_registers_email_gets_the_new_code_by_email(
    app, client
):
    # given
    await add_company(app)
    old = await add_account(
        app,
        usage="BUSINESS",
        name="Anna Eerst",
        email=REGISTER_EMAIL,
        kvk_number=KVK,
        is_main_user=True,
    )
    token = await new_code_token(app, client, {"email": REGISTER_EMAIL, "kvkNumber": KVK})
    before = len(await outbox(app))
    # when
    result = await mutate(client, CONFIRM_NEW_CODE, "confirmNewAccessCode", {"token": token})
    # then
    assert result["delivery"] == "EMAIL"
    issued, notice = (await outbox(app))[before:]
    assert (issued.channel, issued.template) == ("EMAIL", "access_code_issued")
    assert (notice.channel, notice.template) == ("EMAIL", "access_code_changed")
    new = code_in(issued.body)
    assert not await signs_in(app, old, PASSWORD)
    async with http_client(app) as holder:
        assert (await log_in(holder, new))["__typename"] == "LogInPayload"
        viewer = await viewer_of(holder)
    assert viewer is not None
    assert (viewer["usage"], viewer["kvkNumber"], viewer["isMainUser"]) == ("BUSINESS", KVK, True)


async def test_a_business_code_for_another_email_goes_by_letter_with_a_notice_by_email(app, client):
    # given: Bea is not the organisation's main user and her e-mail is not the register's
    await add_company(app, postal=("Postbus", "1020", "7400 BA", "Deventer"))
    await add_account(
        app,
        usage="BUSINESS",
        name="Anna Eerst",
        email=REGISTER_EMAIL,
        kvk_number=KVK,
        is_main_user=True,
    )
    old = await add_account(
        app, usage="BUSINESS", name="Bea Bakker", email="bea@example.nl", kvk_number=KVK
    )
    async with http_client(app, ip="192.0.2.50") as bea:
        assert (await log_in(bea, old))["__typename"] == "LogInPayload"
        token = await new_code_token(app, client, {"email": "Bea@Example.nl", "kvkNumber": KVK})
        before = len(await outbox(app))
        # when
        result = await mutate(client, CONFIRM_NEW_CODE, "confirmNewAccessCode", {"token": token})
        # then: her old session has ended
        assert await viewer_of(bea) is None
    assert result["delivery"] == "POST"
    sent = (await outbox(app))[before:]
    assert sorted((m.channel, m.template) for m in sent) == [
        ("EMAIL", "access_code_changed"),
        ("POST", "access_code_letter"),
    ]
    [letter] = [m for m in sent if m.channel == "POST"]
    [notice] = [m for m in sent if m.channel == "EMAIL"]
    assert letter.address == "Testbedrijf B.V.\nPostbus 1020\n7400 BA Deventer"
    assert notice.recipient == "bea@example.nl"
    assert CODE_PATTERN.search(notice.body) is None
    new = code_in(letter.body)
    assert not await signs_in(app, old, PASSWORD)
    async with http_client(app) as holder:
        assert (await log_in(holder, new))["__typename"] == "LogInPayload"
        viewer = await viewer_of(holder)
    assert viewer is not None
    assert (viewer["usage"], viewer["email"], viewer["isMainUser"]) == (
        "BUSINESS",
        "bea@example.nl",
        False,
    )


# --- The access code itself ---------------------------------------------------------------------


def test_generated_codes_are_12_characters_from_an_alphabet_without_look_alikes() -> None:
    # when
    codes = [access_codes.generate() for _ in range(5000)]
    # then
    assert not set("0O1IL") & set(access_codes.ALPHABET)
    assert all(len(c) == 12 and set(c) <= set(access_codes.ALPHABET) for c in codes)
    assert all(access_codes.is_well_formed(c) for c in codes)
    assert len(set(codes)) == len(codes)
    # Every character of the alphabet turns up: the choice is not skewed to a subset.
    assert set("".join(codes)) == set(access_codes.ALPHABET)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("abcd-efgh-jkmn", id="lower-case"),
        pytest.param("ABCD EFGH JKMN", id="spaces"),
        pytest.param(" abCDefGHjkMN ", id="mixed-no-separators"),
        pytest.param("AB-CD EF-GH JK-MN", id="dashes-and-spaces"),
    ],
)
def test_typed_codes_are_compared_without_case_dashes_or_spaces(typed: str) -> None:
    # then
    assert access_codes.normalize(typed) == "ABCDEFGHJKMN"
    assert access_codes.display(access_codes.normalize(typed)) == "ABCD-EFGH-JKMN"


async def test_an_issued_code_signs_in_however_it_is_typed(app, client):
    # given: a code issued through the API
    body = await gql(
        client,
        REQUEST_ACCESS_CODE,
        {
            "input": {
                "usage": "PRIVATE",
                "name": "Piet Pieterse",
                "email": "piet@example.nl",
                "password": PASSWORD,
            }
        },
    )
    assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"
    code = code_in((await outbox(app))[0].body)
    typed = " " + code.lower().replace("-", " - ") + " "
    # when
    result = await log_in(client, typed)
    # then
    assert result["__typename"] == "LogInPayload"
    assert result["viewer"]["accessCode"] == code
    assert access_codes.is_well_formed(access_codes.normalize(code))


# ---- a changed credential voids older links; staff are not reachable here ------------------


CHANGE_PASSWORD = """
mutation ChangePassword($input: ChangePasswordInput!) {
  changePassword(input: $input) { __typename ... on Error { code field } }
}
"""


async def test_a_password_change_voids_reset_and_new_code_links_sent_before(app, client):
    # given: a reset link and a new-code link are out, then the owner changes the password
    code = await add_account(app)
    reset_link = await reset_token(app, client, code)
    new_code_link = await new_code_token(app, client, {"email": "piet@example.nl"})
    assert (await log_in(client, code))["__typename"] == "LogInPayload"
    changed = await mutate(
        client,
        CHANGE_PASSWORD,
        "changePassword",
        {"currentPassword": PASSWORD, "newPassword": "een heel ander wachtwoord van nu"},
    )
    assert changed["__typename"] == "ChangePasswordPayload"
    # when
    reset_answer = await reset(client, reset_link, "en weer een ander lang wachtwoord")
    confirm_answer = await mutate(
        client, CONFIRM_NEW_CODE, "confirmNewAccessCode", {"token": new_code_link}
    )
    # then
    assert reset_answer["__typename"] == "InvalidToken"
    assert confirm_answer["__typename"] == "InvalidToken"
    assert await signs_in(app, code, "een heel ander wachtwoord van nu")


async def test_staff_cannot_be_reached_by_the_public_password_reset(app, client):
    # given
    staff_code, _secret = await add_staff(app)
    unknown = await request_reset(client, "ABCD-EFGH-JKMN")
    # when
    answer = await request_reset(client, staff_code)
    # then: the same neutral answer, and no mail: staff are managed from the command line
    assert answer == unknown
    assert await outbox(app) == []


# ---- secrets at rest ----------------------------------------------------------------------


async def test_a_reset_link_is_never_readable_in_the_database_and_gone_once_sent(app, client):
    # given: a reset mail is queued
    code = await add_account(app)
    token = await reset_token(app, client, code)
    # when: someone reads the outbox table as stored (a backup, a replica)
    async with app.state.deps.db.read() as session:
        [stored] = (await session.execute(text("SELECT body FROM outbox_message"))).scalars()
    # then: neither the token nor any of the text is there
    assert token not in stored
    assert "wachtwoord" not in stored
    # and once sent, the body is not kept at all (the token is only in the mail)
    deps = app.state.deps
    await Dispatcher(
        deps.db, deps.settings, deps.clock, make_senders(deps.settings, deps.db)
    ).run_once()
    async with app.state.deps.db.read() as session:
        [after] = (await session.execute(text("SELECT body FROM outbox_message"))).scalars()
    assert after == ""
    [eml] = (deps.settings.data_dir / "mail").glob("*.eml")
    assert token in eml.read_text()
    assert (await reset(client, token, "een nieuw en lang wachtwoord hier"))["__typename"] == (
        "ResetPasswordPayload"
    )


# ---- no enumeration by timing: the request does the same work for everyone ------------------


async def test_a_recovery_request_does_the_same_work_for_known_and_unknown_accounts(app, client):
    # given
    known = await add_account(app)
    deps = app.state.deps

    async def stored() -> dict[str, int]:
        async with deps.db.read() as session:
            return {
                table: (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in ("recovery_request", "one_time_token", "outbox_message")
            }

    # when: one request for a known code, one for an unknown code, before the worker runs
    await request_reset(client, known)
    after_known = await stored()
    await request_reset(client, "ABCD-EFGH-JKMN")
    after_unknown = await stored()
    # then: each request stored exactly one sealed request row, and nothing else yet
    assert after_known == {"recovery_request": 1, "one_time_token": 0, "outbox_message": 0}
    assert after_unknown == {"recovery_request": 2, "one_time_token": 0, "outbox_message": 0}
    async with deps.db.read() as session:
        lookups = (await session.execute(text("SELECT lookup FROM recovery_request"))).scalars()
        assert not [v for v in lookups if access_codes.normalize(known) in v]
    # and the worker handles both: one token and one mail for the known account, none else
    assert await process_recovery(app) == 2
    assert await stored() == {"recovery_request": 0, "one_time_token": 1, "outbox_message": 1}
