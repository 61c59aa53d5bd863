"""Staff sign in with a second factor; only staff reach the back office."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gql.models.register import Company
from tests.support.api import gql, http_client, outbox
from tests.support.backoffice import (
    KVK,
    NEW_POSTAL,
    RECORD_ADDRESS,
    STAFF_REQUESTS,
    add_request,
    audit_rows,
    request_ids,
    session_count,
    statuses,
)
from tests.support.factories import (
    APPROVE,
    REJECT,
    add_account,
    add_company,
    add_staff,
    log_in,
    totp_now,
)

# --- Sign-in with a second factor ---------------------------------------------------------------


async def test_staff_sign_in_with_password_and_totp_and_reach_the_back_office(app, client):
    # given
    code, secret = await add_staff(app)
    # when
    result = await log_in(client, code, totp=totp_now(app, secret))
    body = await gql(client, STAFF_REQUESTS)
    # then
    assert result["__typename"] == "LogInPayload"
    assert result["viewer"]["usage"] == "STAFF"
    assert body == {"data": {"staff": {"accessCodeRequests": {"edges": []}}}}


@pytest.mark.parametrize(
    "totp",
    [
        pytest.param(None, id="without-totp"),
        pytest.param("wrong", id="wrong-totp"),
        pytest.param("two-steps-ago", id="too-old-totp"),
    ],
)
async def test_staff_sign_in_without_a_valid_totp_fails_and_starts_no_session(app, client, totp):
    # given
    code, secret = await add_staff(app)
    extra: dict[str, Any] = {}
    if totp == "wrong":
        right = totp_now(app, secret)
        extra["totp"] = f"{(int(right) + 1) % 1_000_000:06d}"
    elif totp == "two-steps-ago":
        extra["totp"] = totp_now(app, secret, offset_steps=-2)
    # when
    result = await log_in(client, code, **extra)
    body = await gql(client, STAFF_REQUESTS)
    # then
    assert result["__typename"] == "InvalidCredentials"
    assert result["code"] == "INVALID_CREDENTIALS"
    assert await session_count(app) == 0
    assert "toegang_session" not in client.cookies
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_totp_code_that_was_used_once_is_refused_the_second_time(app):
    # given: a staff member signed in with the code of this 30-second step
    code, secret = await add_staff(app)
    totp = totp_now(app, secret)
    async with http_client(app) as first:
        assert (await log_in(first, code, totp=totp))["__typename"] == "LogInPayload"
    # when: the same code again, within the same step (an attacker who saw it)
    async with http_client(app, ip="192.0.2.66") as replay:
        result = await log_in(replay, code, totp=totp)
    # then
    assert result["__typename"] == "InvalidCredentials"
    assert await session_count(app) == 1


async def test_a_totp_code_of_the_next_step_is_accepted_once_and_not_again(app):
    # given: the phone's clock runs ahead; its code belongs to the next 30-second step
    code, secret = await add_staff(app)
    ahead = totp_now(app, secret, offset_steps=1)
    async with http_client(app) as first:
        assert (await log_in(first, code, totp=ahead))["__typename"] == "LogInPayload"
    # when: the same code again, still within this step
    async with http_client(app, ip="192.0.2.66") as replay:
        result = await log_in(replay, code, totp=ahead)
    # then
    assert result["__typename"] == "InvalidCredentials"
    assert await session_count(app) == 1


async def test_one_totp_code_sent_twice_at_the_same_moment_signs_in_only_once(app):
    # given
    code, secret = await add_staff(app)
    totp = totp_now(app, secret)
    # when: the holder and an attacker who saw the code race each other
    async with http_client(app) as one, http_client(app, ip="192.0.2.66") as other:
        results = await asyncio.gather(log_in(one, code, totp=totp), log_in(other, code, totp=totp))
    # then
    assert sorted(r["__typename"] for r in results) == ["InvalidCredentials", "LogInPayload"]
    assert await session_count(app) == 1


async def test_the_totp_code_of_the_previous_step_is_accepted_for_clock_drift(app, client):
    # given
    code, secret = await add_staff(app)
    # when
    result = await log_in(client, code, totp=totp_now(app, secret, offset_steps=-1))
    # then
    assert result["__typename"] == "LogInPayload"
    assert await session_count(app) == 1


# --- Only staff -------------------------------------------------------------------------------


FORBIDDEN_CASES = [
    pytest.param(STAFF_REQUESTS, None, id="staff-query"),
    pytest.param(APPROVE, "approve", id="approve"),
    pytest.param(REJECT, "reject", id="reject"),
    pytest.param(RECORD_ADDRESS, "address", id="record-address"),
]


def variables_for(kind: str | None, request_id: str) -> dict[str, Any]:
    if kind == "approve":
        return {"input": {"requestId": request_id}}
    if kind == "reject":
        return {"input": {"requestId": request_id, "reason": "Zomaar"}}
    if kind == "address":
        return {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    return {}


@pytest.mark.parametrize(("document", "kind"), FORBIDDEN_CASES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [pytest.param("customer", "FORBIDDEN"), pytest.param("anonymous", "UNAUTHENTICATED")],
)
async def test_only_staff_reach_the_back_office_and_nothing_changes_for_others(
    app, client, staff, document, kind, who, expected
):
    # given: a pending request, and a customer (or nobody) signed in on `client`
    await add_company(app)
    await add_request(app)
    request_id = next(iter((await request_ids(staff)).values()))
    if who == "customer":
        customer = await add_account(
            app, usage="BUSINESS", email="info@testbedrijf.example", kvk_number=KVK
        )
        assert (await log_in(client, customer))["__typename"] == "LogInPayload"
    mails_before = await outbox(app)
    # when
    body = await gql(client, document, variables_for(kind, request_id))
    # then
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [expected]
    assert await statuses(app) == ["PENDING"]
    assert await outbox(app) == mails_before
    assert await audit_rows(app) == []
    async with app.state.deps.db.read() as session:
        company = await session.get(Company, KVK)
    assert company is not None
    assert company.postal_code is None
