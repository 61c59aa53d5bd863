"""Device sessions of mobile apps (issue 14): rotating refresh tokens with reuse detection,
the session list, ending sessions elsewhere, and the failed-refresh counter."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.models.accounts import AuthSession, DeviceToken
from gql.models.throttle import ThrottleHit
from gql.services.accounts.retention import apply_retention
from gql.services.shared import throttle
from tests.payments.support import sqlite_only
from tests.support.api import gql, http_client, outbox, replace_settings, running_app
from tests.support.factories import (
    OTHER_PASSWORD,
    PASSWORD,
    add_account,
    add_staff,
    log_in,
    totp_now,
)
from tests.support.statements import StatementLog, count_statements, driver_trace

REFRESH = """
mutation Refresh($input: RefreshSessionInput!) {
  refreshSession(input: $input) {
    __typename
    ... on RefreshSessionPayload { token tokenExpiresAt refreshToken expiresAt }
    ... on Error { code message field }
  }
}
"""
SESSIONS = """
query {
  viewer { sessions(first: 20) { edges { node {
    id kind deviceName userAgent createdAt lastUsedAt clientNetwork current } } } }
}
"""
END_SESSION = """
mutation End($input: EndSessionInput!) {
  endSession(input: $input) {
    __typename
    ... on EndSessionPayload { endedSessionId }
    ... on Error { code message field }
  }
}
"""
END_OTHERS = """
mutation { endOtherSessions(input: {}) { __typename } }
"""
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) { changePassword(input: $input) { __typename } }
"""
LOG_IN_PROBLEMS = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on InvalidInput { problems { field } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
VIEWER = "query { viewer { accessCode sessionExpiresAt } }"
REUSED = "device_session_reused"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def device(client: httpx.AsyncClient, code: str, name: str = "Piets telefoon") -> Any:
    signed_in = await log_in(client, code, session="TOKEN", deviceName=name)
    assert signed_in["__typename"] == "LogInPayload", signed_in
    return signed_in


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> Any:
    body = await gql(client, REFRESH, {"input": {"refreshToken": refresh_token}})
    assert "errors" not in body, body
    return body["data"]["refreshSession"]


async def signed_in_as(client: httpx.AsyncClient, token: str) -> bool:
    body = await gql(client, VIEWER, headers=bearer(token))
    return body["data"]["viewer"] is not None


async def count(app: Starlette, table: Any) -> int:
    async with app.state.deps.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def mails(app: Starlette, template: str) -> list[str]:
    return [m.recipient for m in await outbox(app) if m.template == template]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ---- rotation, grace and reuse ------------------------------------------------------------


@sqlite_only
async def test_a_chain_of_50_rotations_works_each_pair_new_and_each_access_token_valid(
    app, client, clock
):
    # given
    code = await add_account(app)
    pair = await device(client, code)
    seen = {pair["token"], pair["refreshToken"]}
    # when: a refresh every 20 minutes, 50 times
    for _ in range(50):
        clock.advance(minutes=20)
        pair = await refresh(client, pair["refreshToken"])
        # then
        assert pair["__typename"] == "RefreshSessionPayload", pair
        assert await signed_in_as(client, pair["token"])
        assert at(pair["tokenExpiresAt"]) == clock.now() + timedelta(minutes=30)
        assert at(pair["expiresAt"]) == clock.now() + timedelta(days=7)
        seen |= {pair["token"], pair["refreshToken"]}
    assert len(seen) == 102
    assert await count(app, DeviceToken) == 51
    assert await count(app, AuthSession) == 1
    assert await mails(app, REUSED) == []


@sqlite_only
async def test_within_the_grace_period_the_same_token_answers_the_same_new_pair(app, client, clock):
    # given
    code = await add_account(app)
    first = await device(client, code)
    rotated = await refresh(client, first["refreshToken"])
    # when: the answer was lost; the app asks again 30 seconds later
    clock.advance(seconds=30)
    again = await refresh(client, first["refreshToken"])
    # then: the same pair, the chain alive, no mail
    assert again == rotated
    assert await signed_in_as(client, again["token"])
    assert (await refresh(client, again["refreshToken"]))["__typename"] == "RefreshSessionPayload"
    assert await mails(app, REUSED) == []


@sqlite_only
async def test_reuse_after_the_grace_period_ends_the_chain_and_sends_exactly_one_mail(
    app, client, clock
):
    # given: a chain rotated twice; a thief kept the first refresh token
    code = await add_account(app, email="piet@example.nl")
    first = await device(client, code)
    second = await refresh(client, first["refreshToken"])
    clock.advance(minutes=10)
    current = await refresh(client, second["refreshToken"])
    unknown = await refresh(client, "x" * 43)
    # when: the first token comes back after the grace period, three times
    answers = []
    for _ in range(3):
        clock.advance(seconds=31)
        answers.append(await refresh(client, first["refreshToken"]))
    # then: the neutral answer of an unknown token, the whole chain ended, one mail
    assert answers == [unknown] * 3
    assert unknown["__typename"] == "InvalidToken" and unknown["field"] == ["refreshToken"]
    assert not await signed_in_as(client, current["token"])
    assert await refresh(client, current["refreshToken"]) == unknown
    assert await mails(app, REUSED) == ["piet@example.nl"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_twenty_concurrent_refreshes_with_one_token_rotate_once_and_get_one_pair(
    app, clock, backend
):
    # given
    code = await add_account(app)
    async with http_client(app) as phone:
        first = await device(phone, code)
        # when
        answers = await asyncio.gather(*(refresh(phone, first["refreshToken"]) for _ in range(20)))
        # then: one rotation, every answer that same pair, the chain alive, no mail
        assert answers[0]["__typename"] == "RefreshSessionPayload", answers[0]
        assert all(a == answers[0] for a in answers)
        assert await count(app, DeviceToken) == 2
        assert await signed_in_as(phone, answers[0]["token"])
        clock.advance(minutes=1)
        following = await refresh(phone, answers[0]["refreshToken"])
        assert following["__typename"] == "RefreshSessionPayload"
    assert await mails(app, REUSED) == []


# ---- lifetimes (a controlled clock) -------------------------------------------------------


@sqlite_only
async def test_an_access_token_works_30_minutes_and_not_a_second_longer(app, client, clock):
    # given
    code = await add_account(app)
    pair = await device(client, code)
    assert at(pair["tokenExpiresAt"]) == clock.now() + timedelta(minutes=30)
    # when / then
    clock.advance(minutes=29, seconds=59)
    assert await signed_in_as(client, pair["token"])
    clock.advance(seconds=1)
    assert not await signed_in_as(client, pair["token"])
    renewed = await refresh(client, pair["refreshToken"])
    assert await signed_in_as(client, renewed["token"])


@sqlite_only
async def test_a_chain_ends_7_days_after_its_last_refresh_not_a_second_later(app, clock):
    # given: two devices signed in at the same moment, refreshed at the same moment
    code = await add_account(app)
    async with http_client(app) as phone, http_client(app) as tablet:
        phones, tablets = await device(phone, code, "Phone"), await device(tablet, code, "Tablet")
        clock.advance(days=3)
        phones = await refresh(phone, phones["refreshToken"])
        tablets = await refresh(tablet, tablets["refreshToken"])
        assert at(phones["expiresAt"]) == clock.now() + timedelta(days=7)
        # when / then
        clock.advance(days=7, seconds=-1)
        assert (await refresh(phone, phones["refreshToken"]))["__typename"] == (
            "RefreshSessionPayload"
        )
        clock.advance(seconds=1)
        assert (await refresh(tablet, tablets["refreshToken"]))["__typename"] == "InvalidToken"


@sqlite_only
async def test_a_chain_ends_30_days_after_the_password_however_often_refreshed(app, clock):
    # given: two devices signed in at t0, both refreshed every 6 days
    code = await add_account(app)
    signed_in_at = clock.now()
    async with http_client(app) as phone, http_client(app) as tablet:
        phones, tablets = await device(phone, code, "Phone"), await device(tablet, code, "Tablet")
        for _ in range(4):
            clock.advance(days=6)
            phones = await refresh(phone, phones["refreshToken"])
            tablets = await refresh(tablet, tablets["refreshToken"])
        # when / then: one second before the 30 days the chain works, cut to its end
        clock.advance(days=6, seconds=-1)
        last = await refresh(phone, phones["refreshToken"])
        assert last["__typename"] == "RefreshSessionPayload"
        assert at(last["expiresAt"]) == signed_in_at + timedelta(days=30)
        assert at(last["tokenExpiresAt"]) == signed_in_at + timedelta(days=30)
        clock.advance(seconds=1)
        assert (await refresh(tablet, tablets["refreshToken"]))["__typename"] == "InvalidToken"
        assert not await signed_in_as(phone, last["token"])


@sqlite_only
async def test_a_password_change_ends_every_other_chain_and_restarts_the_changing_ones_30_days(
    app, client, clock
):
    # given: a browser, a phone and a tablet, ten days into the phone's and tablet's chains
    code = await add_account(app)
    await log_in(client, code)
    async with http_client(app) as phone, http_client(app) as tablet:
        phones, tablets = await device(phone, code, "Phone"), await device(tablet, code, "Tablet")
        for _ in range(2):
            clock.advance(days=5)
            phones = await refresh(phone, phones["refreshToken"])
            tablets = await refresh(tablet, tablets["refreshToken"])
        # when: the phone changes the password
        changed = await gql(
            phone,
            CHANGE_PASSWORD,
            {"input": {"currentPassword": PASSWORD, "newPassword": OTHER_PASSWORD}},
            headers=bearer(phones["token"]),
        )
        changed_at = clock.now()
        # then: the tablet's chain and the browser ended; the phone's goes on
        assert changed["data"]["changePassword"]["__typename"] == "ChangePasswordPayload"
        assert (await refresh(tablet, tablets["refreshToken"]))["__typename"] == "InvalidToken"
        assert (await gql(client, VIEWER))["data"]["viewer"] is None
        assert await signed_in_as(phone, phones["token"])
        # and its 30 days count from the change: alive past the first 30 days
        for _ in range(4):
            clock.advance(days=6)
            phones = await refresh(phone, phones["refreshToken"])
            assert phones["__typename"] == "RefreshSessionPayload", phones
        assert at(phones["expiresAt"]) == changed_at + timedelta(days=30)
    assert await mails(app, REUSED) == []


# ---- who may start one, ending sessions ---------------------------------------------------


@sqlite_only
async def test_staff_and_a_missing_device_name_get_invalid_input_and_no_session(app, client):
    # given
    staff_code, secret = await add_staff(app)
    code = await add_account(app)
    # when
    staff_body = await gql(
        client,
        LOG_IN_PROBLEMS,
        {
            "input": {
                "accessCode": staff_code,
                "password": PASSWORD,
                "totp": totp_now(app, secret),
                "session": "TOKEN",
                "deviceName": "Dienstlaptop",
            }
        },
    )
    nameless = [
        await gql(
            client,
            LOG_IN_PROBLEMS,
            {"input": {"accessCode": code, "password": PASSWORD, "session": "TOKEN", **extra}},
        )
        for extra in ({}, {"deviceName": "  "}, {"deviceName": "x" * 65})
    ]
    # then
    assert staff_body["data"]["logIn"] == {
        "__typename": "InvalidInput",
        "problems": [{"field": ["session"]}],
    }
    for body in nameless:
        assert body["data"]["logIn"] == {
            "__typename": "InvalidInput",
            "problems": [{"field": ["deviceName"]}],
        }
    assert await count(app, AuthSession) == 0
    assert (await device(client, code, "x" * 64))["refreshToken"]


@sqlite_only
async def test_viewer_sessions_lists_only_the_accounts_own_with_network_and_current(app):
    # given: Piet in a browser and on a phone, Anna on her phone
    piet = await add_account(app)
    anna = await add_account(app, name="Anna de Vries", email="anna@example.nl")
    async with (
        http_client(app, ip="10.1.2.3", headers={"user-agent": "Firefox/140"}) as browser,
        http_client(app, ip="2001:db8:1234:5678::1") as phone,
        http_client(app, ip="10.9.9.9") as annas,
    ):
        await log_in(browser, piet)
        await device(phone, piet, "Piets telefoon")
        anna_pair = await device(annas, anna, "Anna's phone")
        # when
        listed = (await gql(browser, SESSIONS))["data"]["viewer"]["sessions"]["edges"]
        anna_listed = await gql(annas, SESSIONS, headers=bearer(anna_pair["token"]))
        # then
        nodes = [edge["node"] for edge in listed]
        assert [(n["kind"], n["deviceName"], n["clientNetwork"], n["current"]) for n in nodes] == [
            ("TOKEN", "Piets telefoon", "2001:db8:1234::/48", False),
            ("COOKIE", None, "10.1.2.0/24", True),
        ]
        assert nodes[1]["userAgent"] == "Firefox/140"
        [anna_node] = [e["node"] for e in anna_listed["data"]["viewer"]["sessions"]["edges"]]
        assert anna_node["deviceName"] == "Anna's phone" and anna_node["current"]
        assert (await gql(browser, NODE, {"id": anna_node["id"]}))["data"]["node"] is None
        assert (await gql(browser, NODE, {"id": nodes[0]["id"]}))["data"]["node"] is not None


@sqlite_only
async def test_end_session_with_another_accounts_id_answers_like_an_unknown_one_and_ends_nothing(
    app,
):
    # given
    piet = await add_account(app)
    anna = await add_account(app, name="Anna de Vries", email="anna@example.nl")
    async with http_client(app) as browser, http_client(app) as annas:
        await log_in(browser, piet)
        anna_pair = await device(annas, anna)
        anna_listed = await gql(annas, SESSIONS, headers=bearer(anna_pair["token"]))
        anna_id = anna_listed["data"]["viewer"]["sessions"]["edges"][0]["node"]["id"]
        piet_id = (await gql(browser, SESSIONS))["data"]["viewer"]["sessions"]["edges"][0]
        # when
        theirs = await gql(browser, END_SESSION, {"input": {"sessionId": anna_id}})
        unknown = await gql(browser, END_SESSION, {"input": {"sessionId": "U2Vzc2lvbjo5OTk="}})
        # then
        assert theirs["data"]["endSession"]["__typename"] == "NotFound"
        assert theirs["data"]["endSession"] == unknown["data"]["endSession"]
        assert await signed_in_as(annas, anna_pair["token"])
        assert (await refresh(annas, anna_pair["refreshToken"]))["__typename"] == (
            "RefreshSessionPayload"
        )
        # and ending one's own ends it at once
        own = await gql(browser, END_SESSION, {"input": {"sessionId": piet_id["node"]["id"]}})
        assert own["data"]["endSession"]["__typename"] == "EndSessionPayload"
        assert (await gql(browser, VIEWER))["data"]["viewer"] is None


@sqlite_only
async def test_log_out_and_signing_in_again_end_the_devices_chain(app, client):
    # given
    code = await add_account(app)
    first = await device(client, code)
    # when: signing in again, presenting the first access token
    body = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: LogInInput!) { logIn(input: $i) { "
            "... on LogInPayload { token refreshToken } } }",
            "variables": {
                "i": {
                    "accessCode": code,
                    "password": PASSWORD,
                    "session": "TOKEN",
                    "deviceName": "Piets telefoon",
                }
            },
        },
        headers=bearer(first["token"]),
    )
    second = body.json()["data"]["logIn"]
    # then: the first chain ended
    assert (await refresh(client, first["refreshToken"]))["__typename"] == "InvalidToken"
    # when: the second signs out
    out = await gql(
        client, "mutation { logOut(input: {}) { __typename } }", headers=bearer(second["token"])
    )
    # then
    assert out["data"]["logOut"]["__typename"] == "LogOutPayload"
    assert (await refresh(client, second["refreshToken"]))["__typename"] == "InvalidToken"
    assert not await signed_in_as(client, second["token"])
    assert await mails(app, REUSED) == []


@sqlite_only
async def test_a_mobile_app_refreshes_ten_times_is_ended_from_a_browser_and_gets_invalid_token(
    settings, app, clock
):
    # given: a plain-HTTP app without cookies, on a second app process; a browser on the first
    code = await add_account(app)
    async with (
        running_app(settings, clock) as other_process,
        http_client(other_process) as phone,
        http_client(app) as browser,
    ):
        signed_in = await phone.post(
            "/graphql",
            json={
                "query": "mutation($i: LogInInput!) { logIn(input: $i) { "
                "... on LogInPayload { token refreshToken } } }",
                "variables": {
                    "i": {
                        "accessCode": code,
                        "password": PASSWORD,
                        "session": "TOKEN",
                        "deviceName": "Piets telefoon",
                    }
                },
            },
        )
        assert "set-cookie" not in signed_in.headers
        pair = signed_in.json()["data"]["logIn"]
        for _ in range(10):
            clock.advance(minutes=25)
            pair = await refresh(phone, pair["refreshToken"])
            assert await signed_in_as(phone, pair["token"])
        assert not phone.cookies
        await log_in(browser, code)
        # when
        ended = await gql(browser, END_OTHERS)
        # then: at once, in the other process too
        assert ended["data"]["endOtherSessions"]["__typename"] == "EndOtherSessionsPayload"
        assert not await signed_in_as(phone, pair["token"])
        gone = await refresh(phone, pair["refreshToken"])
        assert (gone["__typename"], gone["code"]) == ("InvalidToken", "INVALID_TOKEN")
        assert (await gql(browser, VIEWER))["data"]["viewer"] is not None
    assert await mails(app, REUSED) == []


# ---- throttling and retention -------------------------------------------------------------


@sqlite_only
async def test_failed_refreshes_are_limited_per_address_never_delay_a_valid_token_or_sign_in(
    app, clock, monkeypatch
):
    # given: a low limit, and a valid chain behind the same address
    monkeypatch.setattr(throttle, "REFRESH_FAILURES_PER_WINDOW", 3)
    code = await add_account(app)
    async with http_client(app, ip="100.64.0.1") as nat:
        pair = await device(nat, code)
        # when
        failed = [await refresh(nat, f"stale-{n}") for n in range(3)]
        limited = await gql(nat, REFRESH, {"input": {"refreshToken": "stale-4"}})
        # then
        assert {f["__typename"] for f in failed} == {"InvalidToken"}
        assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert (await refresh(nat, pair["refreshToken"]))["__typename"] == "RefreshSessionPayload"
        assert (await log_in(nat, code))["__typename"] == "LogInPayload"
    async with app.state.deps.db.read() as session:
        buckets = (await session.execute(select(ThrottleHit.bucket))).scalars().all()
    assert buckets == [throttle.REFRESH_FAILED] * 3


@sqlite_only
async def test_used_refresh_hashes_stay_while_their_chain_lives_whatever_the_retention(
    settings, clock
):
    # given: sessions are kept one day; a chain refreshed every 5 days for 20 days
    short = replace_settings(settings, retention_ended_session_days=1)
    async with running_app(short, clock) as app, http_client(app) as phone:
        code = await add_account(app)
        first = await device(phone, code)
        pair = first
        for _ in range(4):
            clock.advance(days=5)
            pair = await refresh(phone, pair["refreshToken"])
            await apply_retention(app.state.deps, now=clock.now())
        # then: every used hash is still there, and catches the old token
        assert await count(app, DeviceToken) == 5
        assert (await refresh(phone, first["refreshToken"]))["__typename"] == "InvalidToken"
        assert await mails(app, REUSED) == ["piet@example.nl"]
        # when: the chain has ended for longer than the period
        clock.advance(days=1, seconds=1)
        done = await apply_retention(app.state.deps, now=clock.now())
        # then
        assert (done["device tokens removed"], done["sessions removed"]) == (5, 1)
        assert await count(app, DeviceToken) == 0


@pytest.fixture
def trace() -> Iterator[StatementLog]:
    """Installed before the app (asked for first): every connection reports."""
    with driver_trace() as log:
        yield log


@sqlite_only
async def test_the_session_list_costs_the_same_statements_for_1_and_6_sessions(
    trace: StatementLog, app: Starlette
) -> None:
    # given: one account signed in on 1 device, another on 6
    counts = []
    for n, devices in enumerate((1, 6)):
        code = await add_account(app, email=f"list{n}@example.nl")
        async with http_client(app) as client:
            pairs = [await device(client, code, f"phone {i}") for i in range(devices)]
            # when
            async with count_statements(trace):
                body = await gql(client, SESSIONS, headers=bearer(pairs[-1]["token"]))
            counts.append(len(trace))
        # then
        assert len(body["data"]["viewer"]["sessions"]["edges"]) == devices
    assert counts[0] == counts[1], counts
