"""The back office: sign-in with a second factor, authorization, the audit trail, the register."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette

from gql.models.accounts import AccessCodeRequest, AuthSession
from gql.models.audit import AuditEvent
from gql.models.outbox import OutboxMessage
from gql.models.register import Company
from gql.schema.types.ids import parse_global_id
from tests.conftest import gql, http_client, outbox
from tests.factories import (
    APPROVE,
    PASSWORD,
    REJECT,
    add_account,
    add_company,
    add_staff,
    log_in,
    staff_client_login,
    totp_now,
)

KVK = "12345678"
STAFF_IP = "10.0.0.9"

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename }
}
"""

STAFF_REQUESTS = """
query { staff { accessCodeRequests { edges { node { id email status } } } } }
"""

RECORD_ADDRESS = """
mutation RecordAddress($input: StaffRecordAddressChangeInput!) {
  staffRecordAddressChange(input: $input) {
    __typename
    ... on StaffRecordAddressChangePayload {
      company {
        kvkNumber
        visitingAddress { street houseNumber postalCode city }
        postalAddress { street houseNumber postalCode city }
      }
    }
    ... on InvalidInput { code field problems { field message } }
    ... on Error { code message field }
  }
}
"""

AUDIT_TRAIL = """
query { staff { auditTrail { edges { node {
  actorId action subject details at clientIp requestId
} } } } }
"""

MUTATION_FIELDS = '{ __type(name: "Mutation") { fields { name description } } }'

STAFF_VIEWER = "query { viewer { id usage } }"

NEW_POSTAL = {
    "street": "Postbus",
    "houseNumber": "500",
    "postalCode": "3500aa",
    "city": "Utrecht",
}


async def add_request(app: Starlette, email: str = "bea@example.nl") -> None:
    """A pending business request, made over the API by an anonymous visitor."""
    async with http_client(app, ip="192.0.2.50") as visitor:
        body = await gql(
            visitor,
            REQUEST_ACCESS_CODE,
            {
                "input": {
                    "usage": "BUSINESS",
                    "name": "Bea Bakker",
                    "email": email,
                    "password": PASSWORD,
                    "kvkNumber": KVK,
                    "mandate": {
                        "iban": "NL91ABNA0417164300",
                        "accountHolder": "Testbedrijf B.V.",
                        "consent": True,
                    },
                }
            },
        )
    assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload", body


async def request_ids(staff: httpx.AsyncClient) -> dict[str, str]:
    body = await gql(staff, STAFF_REQUESTS)
    return {
        e["node"]["email"]: e["node"]["id"]
        for e in body["data"]["staff"]["accessCodeRequests"]["edges"]
    }


async def statuses(app: Starlette) -> list[str]:
    async with app.state.deps.db.read() as session:
        return list((await session.execute(select(AccessCodeRequest.status))).scalars())


async def session_count(app: Starlette) -> int:
    async with app.state.deps.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(AuthSession)) or 0)


async def audit_rows(app: Starlette) -> list[AuditEvent]:
    async with app.state.deps.db.read() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())


async def post(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """The decoded body and the x-request-id header of one GraphQL POST."""
    response = await client.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json(), response.headers["x-request-id"]


@pytest.fixture
async def staff(app: Starlette) -> Any:
    """A staff member signed in (with TOTP) from another address than the applicants'."""
    async with http_client(app, ip=STAFF_IP) as staff_client:
        await staff_client_login(app, staff_client)
        yield staff_client


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


# --- The audit trail ----------------------------------------------------------------------------


async def test_every_staff_action_is_in_the_audit_trail_with_who_what_when_where_and_request_id(
    app, staff, clock
):
    # given: two pending requests
    await add_company(app)
    await add_request(app, "bea@example.nl")
    await add_request(app, "kees@example.nl")
    ids = await request_ids(staff)
    staff_id = (await gql(staff, STAFF_VIEWER))["data"]["viewer"]["id"]
    # when
    approved, approve_rid = await post(
        staff, APPROVE, {"input": {"requestId": ids["bea@example.nl"]}}
    )
    rejected, reject_rid = await post(
        staff, REJECT, {"input": {"requestId": ids["kees@example.nl"], "reason": "Geen relatie"}}
    )
    moved, address_rid = await post(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    )
    trail = await gql(staff, AUDIT_TRAIL)
    # then
    assert approved["data"]["staffApproveAccessCodeRequest"]["__typename"] == (
        "StaffApproveAccessCodeRequestPayload"
    )
    assert rejected["data"]["staffRejectAccessCodeRequest"]["__typename"] == (
        "StaffRejectAccessCodeRequestPayload"
    )
    assert moved["data"]["staffRecordAddressChange"]["__typename"] == (
        "StaffRecordAddressChangePayload"
    )
    nodes = [e["node"] for e in trail["data"]["staff"]["auditTrail"]["edges"]]
    bea_pk = parse_global_id(ids["bea@example.nl"])
    kees_pk = parse_global_id(ids["kees@example.nl"])
    assert bea_pk is not None and kees_pk is not None
    # Newest first.
    assert [(n["action"], n["subject"], n["requestId"]) for n in nodes] == [
        ("register.address_changed", f"company:{KVK}", address_rid),
        ("access_code_request.rejected", f"access_code_request:{kees_pk[1]}", reject_rid),
        ("access_code_request.approved", f"access_code_request:{bea_pk[1]}", approve_rid),
    ]
    assert {n["actorId"] for n in nodes} == {staff_id}
    assert {n["clientIp"] for n in nodes} == {STAFF_IP}
    assert {datetime.fromisoformat(n["at"]) for n in nodes} == {clock.now()}
    assert "3500 AA" in nodes[0]["details"]
    assert "Geen relatie" in nodes[1]["details"]
    assert "delivered by POST" in nodes[2]["details"]


async def test_the_api_has_no_mutation_that_touches_the_audit_trail(client):
    # when
    body = await gql(client, MUTATION_FIELDS)
    # then
    fields = body["data"]["__type"]["fields"]
    assert fields, body
    assert [
        f["name"] for f in fields if "audit" in (f["name"] + (f["description"] or "")).lower()
    ] == []


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_event SET action = 'nothing.happened'", id="update"),
        pytest.param("DELETE FROM audit_event", id="delete"),
        # SQLite has no TRUNCATE (its DELETE without WHERE is covered above).
        pytest.param("TRUNCATE audit_event", id="truncate"),
    ],
)
async def test_the_database_refuses_to_change_or_remove_audit_events(
    app, staff, statement, backend
):
    if statement.startswith("TRUNCATE") and backend == "sqlite":
        pytest.skip("SQLite has no TRUNCATE statement")
    # given: one audit event
    await add_company(app)
    body = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    )
    assert (
        body["data"]["staffRecordAddressChange"]["__typename"] == "StaffRecordAddressChangePayload"
    )
    [before] = await audit_rows(app)
    # when / then
    with pytest.raises(DBAPIError, match="append-only"):
        async with app.state.deps.db.write() as session:
            await session.execute(text(statement))
            await session.commit()
    [after] = await audit_rows(app)
    assert after == before
    assert after.action == "register.address_changed"


# --- Register changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postal_code", "field"),
    [
        pytest.param("123 AB", ["postalAddress", "postalCode"], id="three-digits"),
        pytest.param("0123 AB", ["postalAddress", "postalCode"], id="leading-zero"),
        pytest.param("1234 A8", ["postalAddress", "postalCode"], id="digit-for-letter"),
        pytest.param("1234 ABC", ["postalAddress", "postalCode"], id="three-letters"),
    ],
)
async def test_an_address_change_with_a_malformed_postal_code_is_refused(
    app, staff, postal_code, field
):
    # given
    await add_company(app)
    # when
    body = await gql(
        staff,
        RECORD_ADDRESS,
        {"input": {"kvkNumber": KVK, "postalAddress": {**NEW_POSTAL, "postalCode": postal_code}}},
    )
    # then
    result = body["data"]["staffRecordAddressChange"]
    assert result["__typename"] == "InvalidInput"
    assert result["code"] == "INVALID_INPUT"
    assert result["field"] == field
    assert await audit_rows(app) == []
    async with app.state.deps.db.read() as session:
        company = await session.get(Company, KVK)
    assert company is not None
    assert company.postal_code is None


async def test_an_address_change_for_an_unknown_kvk_number_is_not_found(app, staff):
    # given: no company 87654321 in the register
    await add_company(app)
    # when
    body = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": "87654321", "postalAddress": NEW_POSTAL}}
    )
    # then
    result = body["data"]["staffRecordAddressChange"]
    assert result["__typename"] == "NotFound"
    assert result["code"] == "NOT_FOUND"
    assert result["field"] == ["kvkNumber"]
    assert await audit_rows(app) == []


async def test_after_an_address_change_the_next_letter_goes_to_the_new_address(app, staff):
    # given: a company with only a visiting address, and a request by a non-register e-mail
    await add_company(app)
    await add_request(app)
    # when: staff record a new postal address, then approve
    recorded = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    )
    [request_id] = (await request_ids(staff)).values()
    approved = await gql(staff, APPROVE, {"input": {"requestId": request_id}})
    # then
    company = recorded["data"]["staffRecordAddressChange"]["company"]
    assert company["postalAddress"] == {
        "street": "Postbus",
        "houseNumber": "500",
        "postalCode": "3500 AA",
        "city": "Utrecht",
    }
    assert company["visitingAddress"]["street"] == "Kerkstraat"
    assert approved["data"]["staffApproveAccessCodeRequest"]["request"]["deliveredBy"] == "POST"
    letters = [m for m in await outbox(app) if m.channel == "POST"]
    assert [m.address for m in letters] == ["Testbedrijf B.V.\nPostbus 500\n3500 AA Utrecht"]


async def test_removing_the_postal_address_sends_the_next_letter_to_the_visiting_address(
    app, staff
):
    # given: a company with a postal address
    await add_company(app, postal=("Postbus", "1020", "7400 BA", "Deventer"))
    await add_request(app)
    # when
    removed = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "removePostalAddress": True}}
    )
    [request_id] = (await request_ids(staff)).values()
    await gql(staff, APPROVE, {"input": {"requestId": request_id}})
    # then
    assert removed["data"]["staffRecordAddressChange"]["company"]["postalAddress"] is None
    async with app.state.deps.db.read() as session:
        [letter] = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "POST"))
        ).scalars()
    assert letter.address == "Testbedrijf B.V.\nKerkstraat 1\n1234 AB Amsterdam"
