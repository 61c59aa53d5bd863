"""SPEC §6 sessions: cookie or device session, hashed at rest, the cookie's idle and absolute
expiry, ended. Device sessions' own rules: tests/accounts/test_device_sessions.py."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from gql.models.accounts import AuthSession, DeviceToken
from gql.settings import Settings
from tests.support.api import gql, http_client, outbox, replace_settings, running_app
from tests.support.factories import OTHER_PASSWORD, PASSWORD, VIEWER, add_account, log_in

COOKIE = "toegang_session"
HOST_COOKIE = "__Host-toegang_session"

LOG_OUT = """
mutation LogOut {
  logOut(input: {clientMutationId: "bye"}) {
    __typename
    ... on LogOutPayload { clientMutationId }
  }
}
"""

CHANGE_PASSWORD = """
mutation ChangePassword($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename
    ... on ChangePasswordPayload { message }
    ... on Error { code message field }
  }
}
"""


def cookie_attributes(set_cookie: str) -> tuple[str, str, set[str]]:
    """(name, value, attribute names in lower case) of one Set-Cookie header."""
    first, *attributes = (part.strip() for part in set_cookie.split(";"))
    name, _, value = first.partition("=")
    return name, value, {a.split("=", 1)[0].lower() for a in attributes}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def sign_in(client: httpx.AsyncClient, code: str, kind: str) -> dict[str, str]:
    """Sign in with a COOKIE (kept in the client) or a TOKEN; the headers to send with it."""
    result = await log_in(client, code, session=kind)
    assert result["__typename"] == "LogInPayload", result
    return bearer(result["token"]) if kind == "TOKEN" else {}


async def viewer(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, object] | None:
    body = await gql(client, VIEWER, headers=headers)
    assert "errors" not in body, body
    result: dict[str, object] | None = body["data"]["viewer"]
    return result


async def stored_sessions(app: Starlette) -> list[AuthSession]:
    async with app.state.deps.db.read() as session:
        return list((await session.execute(select(AuthSession))).scalars())


# ---- cookie and token -------------------------------------------------------------------------


async def test_a_cookie_session_is_http_only_lax_on_path_root_and_not_secure_on_loopback_http(
    app, client
):
    # given
    code = await add_account(app)
    # when
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: LogInInput!) { logIn(input: $i) { __typename "
            "... on LogInPayload { token } } }",
            "variables": {"i": {"accessCode": code, "password": PASSWORD, "session": "COOKIE"}},
        },
    )
    # then
    assert response.json()["data"]["logIn"] == {"__typename": "LogInPayload", "token": None}
    [set_cookie] = response.headers.get_list("set-cookie")
    name, value, attributes = cookie_attributes(set_cookie)
    assert name == COOKIE
    assert len(value) >= 43
    assert "httponly" in attributes
    assert "path=/" in set_cookie.lower()
    assert "samesite=lax" in set_cookie.lower()
    assert "secure" not in attributes
    assert "domain" not in attributes
    assert (await viewer(client, {}) or {})["accessCode"] == code


async def test_a_device_session_returns_a_bearer_token_of_256_bits_and_sets_no_cookie(app, client):
    # given
    code = await add_account(app)
    # when
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: LogInInput!) { logIn(input: $i) { __typename "
            "... on LogInPayload { token } } }",
            "variables": {
                "i": {
                    "accessCode": code,
                    "password": PASSWORD,
                    "session": "TOKEN",
                    "deviceName": "Pixel van Piet",
                }
            },
        },
    )
    # then
    token = response.json()["data"]["logIn"]["token"]
    assert response.headers.get_list("set-cookie") == []
    assert len(token) >= 43  # token_urlsafe(32): 256 random bits, at least the 128 promised
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    async with http_client(app) as mobile_app:
        assert await viewer(mobile_app, {}) is None
        assert (await viewer(mobile_app, bearer(token)) or {})["accessCode"] == code


async def test_only_the_sha256_of_the_cookie_and_of_the_device_tokens_is_stored(app, client):
    # given
    code = await add_account(app)
    # when
    signed_in = await log_in(client, code, session="TOKEN")
    await log_in(client, code)
    cookie = client.cookies[COOKIE]
    # then
    device, browser = await stored_sessions(app)
    assert browser.token_hash == hashlib.sha256(cookie.encode()).hexdigest()
    assert device.token_hash is None
    async with app.state.deps.db.read() as session:
        [pair] = (await session.execute(select(DeviceToken))).scalars()
    assert pair.access_hash == hashlib.sha256(signed_in["token"].encode()).hexdigest()
    assert pair.refresh_hash == hashlib.sha256(signed_in["refreshToken"].encode()).hexdigest()
    everything = str([device.model_dump(), browser.model_dump(), pair.model_dump()])
    for token in (cookie, signed_in["token"], signed_in["refreshToken"]):
        assert token not in everything


async def test_every_sign_in_gets_a_new_token_for_cookies_and_bearer_tokens(app, client):
    # given
    code = await add_account(app)
    # when
    first_token = (await log_in(client, code, session="TOKEN"))["token"]
    second_token = (await log_in(client, code, session="TOKEN"))["token"]
    await log_in(client, code)
    first_cookie = client.cookies[COOKIE]
    await log_in(client, code)
    second_cookie = client.cookies[COOKIE]
    # then
    assert len({first_token, second_token, first_cookie, second_cookie}) == 4


# ---- expiry -----------------------------------------------------------------------------------


async def test_a_cookie_session_ends_after_30_minutes_without_activity(app, client, clock):
    # given
    code = await add_account(app)
    headers = await sign_in(client, code, "COOKIE")
    # when / then: a request moves the idle limit (the session is touched)
    clock.advance(minutes=29)
    assert await viewer(client, headers) is not None
    clock.advance(minutes=29)
    assert await viewer(client, headers) is not None
    clock.advance(minutes=31)
    assert await viewer(client, headers) is None
    clock.advance(minutes=1)
    assert await viewer(client, headers) is None


async def test_a_cookie_session_ends_after_12_hours_however_active(app, client, clock):
    # given
    code = await add_account(app)
    headers = await sign_in(client, code, "COOKIE")
    # when: a request every 20 minutes for 11 hours 40 minutes
    for _ in range(35):
        clock.advance(minutes=20)
        assert await viewer(client, headers) is not None
    clock.advance(minutes=20)
    # then: 12 hours after sign-in
    assert await viewer(client, headers) is None


# ---- ending sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["COOKIE", "TOKEN"])
async def test_log_out_ends_the_session_server_side(app, client, kind):
    # given
    code = await add_account(app)
    headers = await sign_in(client, code, kind)
    replay = headers if kind == "TOKEN" else {"cookie": f"{COOKIE}={client.cookies[COOKIE]}"}
    # when
    response = await client.post("/graphql", json={"query": LOG_OUT}, headers=headers)
    # then
    assert response.json()["data"]["logOut"] == {
        "__typename": "LogOutPayload",
        "clientMutationId": "bye",
    }
    [stored] = await stored_sessions(app)
    assert stored.ended_at is not None
    async with http_client(app) as thief:
        assert await viewer(thief, replay) is None
        again = await gql(thief, LOG_OUT, headers=replay)
    assert again["data"] is None
    assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_log_out_of_a_cookie_session_clears_the_cookie(app, client):
    # given
    code = await add_account(app)
    await sign_in(client, code, "COOKIE")
    # when
    response = await client.post("/graphql", json={"query": LOG_OUT})
    # then
    [set_cookie] = response.headers.get_list("set-cookie")
    name, value, attributes = cookie_attributes(set_cookie)
    assert (name, value) == (COOKIE, '""')
    assert "max-age=0" in set_cookie.lower()
    assert {"httponly", "path", "samesite"} <= attributes
    assert COOKIE not in client.cookies


async def test_change_password_ends_the_other_sessions_keeps_this_one_and_mails_a_notice(
    app, client
):
    # given
    code = await add_account(app, email="piet@example.nl")
    await sign_in(client, code, "COOKIE")
    async with http_client(app, ip="10.1.2.3") as phone, http_client(app) as laptop:
        phone_headers = await sign_in(phone, code, "TOKEN")
        await sign_in(laptop, code, "COOKIE")
        # when
        body = await gql(
            client,
            CHANGE_PASSWORD,
            {"input": {"currentPassword": PASSWORD, "newPassword": OTHER_PASSWORD}},
        )
        # then
        assert body["data"]["changePassword"]["__typename"] == "ChangePasswordPayload"
        assert await viewer(client, {}) is not None
        assert await viewer(phone, phone_headers) is None
        assert await viewer(laptop, {}) is None
    assert [(m.template, m.recipient) for m in await outbox(app)] == [
        ("password_changed", "piet@example.nl")
    ]
    assert (await log_in(client, code, PASSWORD))["__typename"] == "InvalidCredentials"
    assert (await log_in(client, code, OTHER_PASSWORD))["__typename"] == "LogInPayload"


# ---- the cookie over https ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "public_url", ["https://toegang.example", "https://127.0.0.1:8443", "http://toegang.example"]
)
def test_only_plain_http_on_loopback_gets_a_cookie_without_host_prefix_and_secure(public_url):
    # given
    loopback = Settings(public_url="http://127.0.0.1:8000")
    other = Settings(public_url=public_url)
    # then
    assert (loopback.session_cookie_name, loopback.session_cookie_secure) == (COOKIE, False)
    assert (other.session_cookie_name, other.session_cookie_secure) == (HOST_COOKIE, True)


async def test_an_app_behind_https_sets_a_secure_host_prefixed_cookie_and_reads_only_that(
    settings, clock
):
    # given
    https = replace_settings(settings, public_url="https://toegang.example")
    async with running_app(https, clock) as app, http_client(app) as client:
        code = await add_account(app)
        # when
        response = await client.post(
            "/graphql",
            json={
                "query": "mutation($i: LogInInput!) { logIn(input: $i) { __typename } }",
                "variables": {"i": {"accessCode": code, "password": PASSWORD}},
            },
        )
        # then
        [set_cookie] = response.headers.get_list("set-cookie")
        name, value, attributes = cookie_attributes(set_cookie)
        assert name == HOST_COOKIE
        assert {"secure", "httponly", "path", "samesite"} <= attributes
        assert "domain" not in attributes
        assert "path=/" in set_cookie.lower()
        assert "samesite=lax" in set_cookie.lower()
        assert await viewer(client, {"cookie": f"{HOST_COOKIE}={value}"}) is not None
        assert await viewer(client, {"cookie": f"{COOKIE}={value}"}) is None


async def test_signing_in_again_ends_the_session_the_client_presented(app, client):
    # given: a cookie session
    code = await add_account(app)
    assert (await log_in(client, code))["__typename"] == "LogInPayload"
    first = client.cookies.get("toegang_session")
    # when: the same client signs in again
    assert (await log_in(client, code))["__typename"] == "LogInPayload"
    # then: a new token, and the first one no longer works anywhere
    assert client.cookies.get("toegang_session") != first
    async with http_client(app) as replay:
        replay.cookies.set("toegang_session", first)
        assert (await gql(replay, VIEWER))["data"]["viewer"] is None
    assert (await gql(client, VIEWER))["data"]["viewer"] is not None


async def test_the_reported_expiry_is_the_real_idle_end_between_touches(app, client, clock):
    # given: signed in at t0 (the session's last activity is stored as t0)
    code = await add_account(app)
    assert (await log_in(client, code))["__typename"] == "LogInPayload"
    signed_in_at = clock.now()
    # when: 30 seconds later (too soon to store a new last activity)
    clock.advance(seconds=30)
    body = await gql(client, "query { viewer { sessionExpiresAt } }")
    # then: the session ends 30 minutes after t0, and that is what the client is told
    reported = datetime.fromisoformat(body["data"]["viewer"]["sessionExpiresAt"])
    assert reported == signed_in_at + timedelta(minutes=30)
    clock.advance(minutes=29, seconds=31)
    assert (await gql(client, VIEWER))["data"]["viewer"] is None
