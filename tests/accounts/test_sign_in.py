"""SPEC §6 guessing: no enumeration, one password field per document, throttled sign-in."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql import i18n
from gql.clock import FrozenClock
from gql.services.shared.hashing import HashParameters, PasswordHashing
from tests.support.api import gql, http_client, outbox, replace_settings, running_app
from tests.support.factories import LOG_IN, PASSWORD, add_account, log_in

WRONG = "dit is niet het goede wachtwoord"
ATTACKER = "198.51.100.66"

TWO_LOG_INS = """
mutation {
  a: logIn(input: {accessCode: "KQ7M-4XRT-P9WD", password: "een"}) { __typename }
  b: logIn(input: {accessCode: "KQ7M-4XRT-P9WE", password: "twee"}) { __typename }
}
"""

LOG_IN_AND_CHANGE_PASSWORD = """
mutation {
  logIn(input: {accessCode: "KQ7M-4XRT-P9WD", password: "een"}) { __typename }
  changePassword(input: {currentPassword: "een", newPassword: "twee"}) { __typename }
}
"""

SECOND_LOG_IN_IN_A_FRAGMENT = """
mutation {
  logIn(input: {accessCode: "KQ7M-4XRT-P9WD", password: "een"}) { __typename }
  ...Again
}
fragment Again on Mutation {
  again: logIn(input: {accessCode: "KQ7M-4XRT-P9WD", password: "twee"}) { __typename }
}
"""

TWO_ACCESS_CODE_REQUESTS = """
mutation {
  a: requestAccessCode(input: {usage: PRIVATE, name: "Eva Een", email: "eva@example.nl",
                               password: "zeven zwarte zwanen zwemmen zacht"}) { __typename }
  b: requestAccessCode(input: {usage: PRIVATE, name: "Eva Twee", email: "eva2@example.nl",
                               password: "acht zwarte zwanen zwemmen zacht"}) { __typename }
}
"""

RESET_AND_LOG_IN = """
mutation {
  resetPassword(input: {token: "x", newPassword: "een nieuw lang wachtwoord hier"}) { __typename }
  logIn(input: {accessCode: "ABCD-EFGH-JKMN", password: "x"}) { __typename }
}
"""

ONE_LOG_IN = """
mutation {
  logIn(input: {accessCode: "KQ7M-4XRT-P9WD", password: "een wachtwoord"}) {
    __typename
    ... on Error { code }
  }
}
"""


def verifications(app: Starlette) -> int:
    return int(app.state.deps.hashing.verifications)


async def attempt(
    client: httpx.AsyncClient,
    code: str,
    password: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One sign-in; the whole response body (data, or a top-level error)."""
    variables = {"input": {"accessCode": code, "password": password}}
    return await gql(client, LOG_IN, variables, headers=headers)


def typename(body: dict[str, Any]) -> str:
    """The result type, or the top-level error code when the field did not resolve."""
    if body.get("data"):
        return str(body["data"]["logIn"]["__typename"])
    return str(body["errors"][0]["extensions"]["code"])


def move_clock_to(clock: FrozenClock, moment: str) -> None:
    clock.advance(seconds=(datetime.fromisoformat(moment) - clock.now()).total_seconds())


# ---- no enumeration -------------------------------------------------------------------------


async def test_a_wrong_password_and_an_unknown_code_get_identical_answers_for_equal_work(
    app, client
):
    # given
    code = await add_account(app)
    unknown = "KQ7M-4XRT-P9WD" if code != "KQ7M-4XRT-P9WD" else "KQ7M-4XRT-P9WE"
    # when
    before = verifications(app)
    known_answer = await client.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"input": {"accessCode": code, "password": WRONG}}},
    )
    known_cost = verifications(app) - before
    before = verifications(app)
    unknown_answer = await client.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"input": {"accessCode": unknown, "password": WRONG}}},
    )
    unknown_cost = verifications(app) - before
    # then
    assert known_answer.json()["data"]["logIn"] == {
        "__typename": "InvalidCredentials",
        "code": "INVALID_CREDENTIALS",
        "message": i18n.text("invalid_credentials", "nl"),
        "field": None,
    }
    assert unknown_answer.status_code == known_answer.status_code
    assert unknown_answer.content == known_answer.content
    assert (known_cost, unknown_cost) == (1, 1)


@pytest.mark.parametrize(
    "malformed",
    ["IL01-OOOO-0000", "ik weet het niet meer!", "x" * 500, "DEMA\u0000PRVT-2345", "\u202e2345"],
    ids=["look-alikes", "prose", "500-chars", "nul-character", "format-character"],
)
async def test_a_malformed_code_gets_the_same_answer_for_the_same_work(app, client, malformed):
    # given
    code = await add_account(app)
    known = await attempt(client, code, WRONG)
    # when
    before = verifications(app)
    body = await attempt(client, malformed, WRONG)
    # then
    assert body == known
    assert verifications(app) - before == 1


# ---- one password field per document ----------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        TWO_LOG_INS,
        LOG_IN_AND_CHANGE_PASSWORD,
        SECOND_LOG_IN_IN_A_FRAGMENT,
        TWO_ACCESS_CODE_REQUESTS,
        RESET_AND_LOG_IN,
    ],
    ids=[
        "two-aliased-log-ins",
        "log-in-and-change-password",
        "log-in-in-a-fragment",
        "two-access-code-requests",
        "reset-and-log-in",
    ],
)
async def test_a_document_with_two_password_fields_is_refused_before_any_hash(
    app, client, document
):
    # given
    hashing = app.state.deps.hashing
    before = (hashing.verifications, hashing.hashes)
    # when
    body = await gql(client, document)
    # then
    assert "data" not in body
    assert "at most one field that checks a password" in body["errors"][0]["message"]
    assert (hashing.verifications, hashing.hashes) == before
    assert await outbox(app) == []


async def test_a_document_with_one_log_in_field_runs(app, client):
    # given
    before = verifications(app)
    # when
    body = await gql(client, ONE_LOG_IN)
    # then
    assert "errors" not in body
    assert body["data"]["logIn"] == {
        "__typename": "InvalidCredentials",
        "code": "INVALID_CREDENTIALS",
    }
    assert verifications(app) - before == 1


# ---- throttling -------------------------------------------------------------------------------


async def test_the_fourth_attempt_right_after_three_failures_is_refused_before_any_hash(app):
    # given
    code = await add_account(app)
    async with http_client(app, ip=ATTACKER) as attacker:
        for _ in range(3):
            assert typename(await attempt(attacker, code, WRONG)) == "InvalidCredentials"
        before = verifications(app)
        # when
        body = await attempt(attacker, code, PASSWORD)
    # then
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["path"] == ["logIn"]
    assert datetime.fromisoformat(error["extensions"]["retryAfter"]) > app.state.deps.clock.now()
    assert verifications(app) == before


async def test_the_owner_signs_in_from_another_address_while_the_attacker_waits(app):
    # given
    code = await add_account(app)
    async with http_client(app, ip=ATTACKER) as attacker:
        for _ in range(3):
            await attempt(attacker, code, WRONG)
        assert typename(await attempt(attacker, code, WRONG)) == "RATE_LIMITED"
        # when
        async with http_client(app, ip="10.1.2.3") as owner:
            result = await log_in(owner, code)
        # then
        assert result["__typename"] == "LogInPayload"
        assert typename(await attempt(attacker, code, WRONG)) == "RATE_LIMITED"


async def test_the_delay_doubles_and_the_attacker_may_try_again_when_it_has_passed(app, clock):
    # given: three failures cost nothing yet
    code = await add_account(app)
    async with http_client(app, ip=ATTACKER) as attacker:
        for _ in range(3):
            assert typename(await attempt(attacker, code, WRONG)) == "InvalidCredentials"
        # when / then: 1 s, 2 s, 4 s
        for delay in (1, 2, 4):
            assert typename(await attempt(attacker, code, WRONG)) == "RATE_LIMITED"
            clock.advance(seconds=delay - 0.5)
            assert typename(await attempt(attacker, code, WRONG)) == "RATE_LIMITED"
            clock.advance(seconds=0.5)
            assert typename(await attempt(attacker, code, WRONG)) == "InvalidCredentials"


async def test_concurrent_attempts_get_no_more_guesses_than_the_free_failures(app):
    # given
    code = await add_account(app)
    before = verifications(app)
    # when: ten guesses at once, before any of them has failed
    async with http_client(app, ip=ATTACKER) as attacker:
        bodies = await asyncio.gather(*(attempt(attacker, code, WRONG) for _ in range(10)))
    # then
    assert sorted(typename(b) for b in bodies) == ["InvalidCredentials"] * 3 + ["RATE_LIMITED"] * 7
    assert verifications(app) - before == 3


async def test_a_hundred_failures_in_an_hour_block_even_the_right_password_for_that_hour(
    settings, clock
):
    # given: cheap hashing (a real argon2id, far below production cost), so 100 real
    # failures stay fast; every one from another address, so no delay applies
    fast = PasswordHashing(HashParameters(8, 1, 1), concurrency=2)
    async with running_app(settings, clock, hashing=fast) as app:
        code = await add_account(app)
        for i in range(100):
            async with http_client(app, ip=f"10.77.0.{i + 1}") as guesser:
                assert typename(await attempt(guesser, code, WRONG)) == "InvalidCredentials"
        before = fast.verifications
        # when
        async with http_client(app, ip="10.1.2.3") as owner:
            blocked = await attempt(owner, code, PASSWORD)
            # then
            assert typename(blocked) == "RATE_LIMITED"
            assert fast.verifications == before
            clock.advance(minutes=59)
            assert typename(await attempt(owner, code, PASSWORD)) == "RATE_LIMITED"
            move_clock_to(clock, blocked["errors"][0]["extensions"]["retryAfter"])
            assert typename(await attempt(owner, code, PASSWORD)) == "LogInPayload"


async def test_a_spoofed_x_forwarded_for_does_not_change_the_throttling_key(app, client):
    # given: no trusted proxies (the default)
    code = await add_account(app)
    for i in range(3):
        spoofed = {"x-forwarded-for": f"203.0.113.{i + 1}"}
        assert typename(await attempt(client, code, WRONG, spoofed)) == "InvalidCredentials"
    # when
    body = await attempt(client, code, PASSWORD, {"x-forwarded-for": "203.0.113.99"})
    # then
    assert typename(body) == "RATE_LIMITED"


async def test_x_forwarded_for_from_a_trusted_proxy_is_the_throttling_key(settings, clock):
    # given: the app sits behind a proxy on 127.0.0.1, which appends the client's address
    proxied = replace_settings(settings, trusted_proxies=("127.0.0.1",))
    async with running_app(proxied, clock) as app, http_client(app) as proxy:
        code = await add_account(app)
        for _ in range(3):
            await attempt(proxy, code, WRONG, {"x-forwarded-for": ATTACKER})
        # when
        attacker = await attempt(proxy, code, WRONG, {"x-forwarded-for": ATTACKER})
        # a spoofed entry in front of the one the proxy appended changes nothing
        spoofing = await attempt(proxy, code, WRONG, {"x-forwarded-for": f"10.1.2.3, {ATTACKER}"})
        owner = await attempt(proxy, code, PASSWORD, {"x-forwarded-for": "10.1.2.3"})
    # then
    assert typename(attacker) == "RATE_LIMITED"
    assert typename(spoofing) == "RATE_LIMITED"
    assert typename(owner) == "LogInPayload"
