"""Requesting an access code (PRIVATE at once, BUSINESS after the staff check) — SPEC §3.1."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.models.accounts import AccessCodeRequest, Account
from gql.models.mandates import DirectDebitMandate
from tests.support.api import gql, http_client, outbox
from tests.support.factories import (
    APPROVE,
    CODE_PATTERN,
    PASSWORD,
    REJECT,
    VIEWER,
    add_account,
    add_company,
    code_in,
    log_in,
    pdf_text,
    staff_client_login,
)

# Wednesday 24 March 2027, 11:00 in Amsterdam: Good Friday and Easter Monday follow.
NOW = datetime(2027, 3, 24, 10, 0, tzinfo=UTC)
EXPECTED_BY = date(2027, 4, 2)
KVK = "12345678"
REGISTER_EMAIL = "info@testbedrijf.example"
VALID_IBAN = "NL91ABNA0417164300"
OTHER_IBAN = "NL02ABNA0123456789"

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) {
    __typename
    ... on RequestAccessCodePayload { usage delivery expectedBy message }
    ... on InvalidInput { code message field problems { field message } }
  }
}
"""

REQUESTS = """
query Requests($status: AccessCodeRequestStatus) {
  staff {
    accessCodeRequests(status: $status) {
      edges { node { id name email kvkNumber companyName emailMatchesRegister status
                     expectedBy deliveredBy hasMandate } }
    }
  }
}
"""


@pytest.fixture
def clock() -> FrozenClock:
    """A known moment, so `expectedBy` is a date the test can name."""
    return FrozenClock(NOW)


def private_input(**overrides: Any) -> dict[str, Any]:
    return {
        "usage": "PRIVATE",
        "name": "Piet Pieterse",
        "email": "piet@example.nl",
        "password": PASSWORD,
        **overrides,
    }


def business_input(**overrides: Any) -> dict[str, Any]:
    return {
        "usage": "BUSINESS",
        "name": "Bea Bakker",
        "email": "bea@example.nl",
        "password": PASSWORD,
        "kvkNumber": KVK,
        "mandate": {"iban": VALID_IBAN, "accountHolder": "Testbedrijf B.V.", "consent": True},
        **overrides,
    }


async def request_code(client: httpx.AsyncClient, values: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, REQUEST_ACCESS_CODE, {"input": values})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["requestAccessCode"]
    return result


async def request_rows(app: Starlette) -> list[AccessCodeRequest]:
    async with app.state.deps.db.read() as session:
        query = select(AccessCodeRequest).order_by(AccessCodeRequest.id)
        return list((await session.execute(query)).scalars())


async def mandates(app: Starlette) -> list[DirectDebitMandate]:
    async with app.state.deps.db.read() as session:
        query = select(DirectDebitMandate).order_by(DirectDebitMandate.id)
        return list((await session.execute(query)).scalars())


async def pending_request_ids(staff: httpx.AsyncClient) -> dict[str, str]:
    """Global request id by applicant e-mail, of every pending request."""
    body = await gql(staff, REQUESTS, {"status": "PENDING"})
    edges = body["data"]["staff"]["accessCodeRequests"]["edges"]
    return {e["node"]["email"]: e["node"]["id"] for e in edges}


async def approve(staff: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    body = await gql(staff, APPROVE, {"input": {"requestId": request_id}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffApproveAccessCodeRequest"]
    return result


async def viewer_with(app: Starlette, code: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in on a fresh client and return the viewer."""
    async with http_client(app) as applicant:
        result = await log_in(applicant, code, password)
        assert result["__typename"] == "LogInPayload", result
        viewer: dict[str, Any] = (await gql(applicant, VIEWER))["data"]["viewer"]
        return viewer


async def dispatch_once(app: Starlette) -> None:
    deps = app.state.deps
    await Dispatcher(
        deps.db, deps.settings, deps.clock, make_senders(deps.settings, deps.db)
    ).run_once()


@pytest.fixture
async def staff(app: Starlette) -> Any:
    """A second client, signed in as staff with a second factor."""
    async with http_client(app) as staff_client:
        await staff_client_login(app, staff_client)
        yield staff_client


# --- PRIVATE ---------------------------------------------------------------------------------


async def test_a_private_code_is_issued_at_once_and_emailed_and_signs_in_with_the_password(
    app, client
):
    # when
    result = await request_code(client, private_input())
    # then
    assert result["__typename"] == "RequestAccessCodePayload"
    assert result["usage"] == "PRIVATE"
    assert result["delivery"] == "EMAIL"
    assert result["expectedBy"] is None
    [mail] = await outbox(app)
    assert (mail.channel, mail.template, mail.recipient) == (
        "EMAIL",
        "access_code_issued",
        "piet@example.nl",
    )
    viewer = await viewer_with(app, code_in(mail.body))
    assert viewer["usage"] == "PRIVATE"
    assert viewer["email"] == "piet@example.nl"
    assert await request_rows(app) == []


# --- BUSINESS: validation ----------------------------------------------------------------------


async def test_a_business_request_for_an_unknown_kvk_number_is_refused_and_nothing_is_queued(
    app, client
):
    # given: the register holds no company 87654321
    await add_company(app)
    # when
    result = await request_code(client, business_input(kvkNumber="87654321"))
    # then
    assert result["__typename"] == "InvalidInput"
    assert result["code"] == "INVALID_INPUT"
    assert result["field"] == ["kvkNumber"]
    assert [p["field"] for p in result["problems"]] == [["kvkNumber"]]
    assert await outbox(app) == []
    assert await request_rows(app) == []


async def test_a_business_request_needs_a_mandate_while_the_organisation_has_none(app, client):
    # given
    await add_company(app)
    # when
    result = await request_code(client, business_input(mandate=None))
    # then
    assert result["__typename"] == "InvalidInput"
    assert result["field"] == ["mandate"]
    assert await outbox(app) == []
    assert await request_rows(app) == []


@pytest.mark.parametrize(
    ("mandate", "fields"),
    [
        # The last two check digits are wrong (…4300 is the valid one).
        pytest.param(
            {"iban": "NL91ABNA0417164301", "accountHolder": "Testbedrijf B.V.", "consent": True},
            [["mandate", "iban"]],
            id="bad-iban-checksum",
        ),
        pytest.param(
            {"iban": VALID_IBAN, "accountHolder": "Testbedrijf B.V.", "consent": False},
            [["mandate", "consent"]],
            id="no-consent",
        ),
        # Every problem is listed, not only the first.
        pytest.param(
            {"iban": "NL00XXXX", "accountHolder": " ", "consent": False},
            [["mandate", "iban"], ["mandate", "accountHolder"], ["mandate", "consent"]],
            id="all-wrong",
        ),
    ],
)
async def test_an_invalid_mandate_is_refused_field_by_field(app, client, mandate, fields):
    # given
    await add_company(app)
    # when
    result = await request_code(client, business_input(mandate=mandate))
    # then
    assert result["__typename"] == "InvalidInput"
    assert [p["field"] for p in result["problems"]] == fields
    assert result["field"] == (fields[0] if len(fields) == 1 else None)
    assert await outbox(app) == []
    assert await request_rows(app) == []


# --- BUSINESS: the request ---------------------------------------------------------------------


async def test_a_business_request_waits_for_the_check_and_names_the_fifth_working_day(app, client):
    # given
    await add_company(app)
    # when
    result = await request_code(client, business_input())
    # then: Wed 24 March 2027 + 5 working days, skipping Good Friday and Easter Monday
    assert result == {
        "__typename": "RequestAccessCodePayload",
        "usage": "BUSINESS",
        "delivery": None,
        "expectedBy": EXPECTED_BY.isoformat(),
        "message": result["message"],
    }
    assert "2 april 2027" in result["message"]
    [mail] = await outbox(app)
    assert (mail.template, mail.recipient) == ("access_code_request_received", "bea@example.nl")
    assert "2 april 2027" in mail.body
    [row] = await request_rows(app)
    assert (row.status, row.kvk_number, row.expected_by) == ("PENDING", KVK, EXPECTED_BY)
    assert row.mandate_iban == VALID_IBAN


async def test_a_second_request_of_the_same_person_gets_the_same_answer_and_only_a_notice(
    app, client
):
    # given: a pending request
    await add_company(app)
    first = await request_code(client, business_input())
    before = await outbox(app)
    # when: the same person again, the e-mail in other letter case
    second = await request_code(client, business_input(email="BEA@Example.NL"))
    # then: the notice goes to the address as stored, lower-cased
    assert second == first
    new = (await outbox(app))[len(before) :]
    assert [(m.template, m.recipient) for m in new] == [("access_code_exists", "bea@example.nl")]
    assert CODE_PATTERN.search(new[0].body) is None
    assert len(await request_rows(app)) == 1


async def test_a_request_of_a_person_who_already_has_an_active_code_is_answered_like_any_other(
    app, client
):
    # given: Bea already holds a business code of this organisation
    await add_company(app)
    await add_account(
        app, usage="BUSINESS", name="Bea Bakker", email="bea@example.nl", kvk_number=KVK
    )
    newcomer = await request_code(client, business_input(email="kees@example.nl"))
    # when
    again = await request_code(client, business_input(email="Bea@example.nl"))
    # then
    assert again == newcomer
    templates = [(m.template, m.recipient) for m in await outbox(app)]
    assert templates == [
        ("access_code_request_received", "kees@example.nl"),
        ("access_code_exists", "bea@example.nl"),
    ]
    assert [r.email for r in await request_rows(app)] == ["kees@example.nl"]


# --- Staff decision ----------------------------------------------------------------------------


async def test_staff_see_whether_the_applicants_email_is_the_registers(app, client, staff):
    # given: one applicant with the register's e-mail (typed in other letter case), one without
    await add_company(app)
    await request_code(client, business_input(email="Info@TestBedrijf.example"))
    await request_code(client, business_input(email="bea@example.nl", name="Bea Bakker"))
    # when
    body = await gql(staff, REQUESTS, {"status": "PENDING"})
    # then
    nodes = [e["node"] for e in body["data"]["staff"]["accessCodeRequests"]["edges"]]
    assert [(n["email"], n["emailMatchesRegister"]) for n in nodes] == [
        ("info@testbedrijf.example", True),
        ("bea@example.nl", False),
    ]
    assert {n["companyName"] for n in nodes} == {"Testbedrijf B.V."}
    assert {n["expectedBy"] for n in nodes} == {EXPECTED_BY.isoformat()}
    assert all(n["hasMandate"] and n["status"] == "PENDING" for n in nodes)


async def test_an_approved_code_goes_by_email_when_the_applicant_uses_the_registers_email(
    app, client, staff
):
    # given
    await add_company(app)
    await request_code(client, business_input(email=REGISTER_EMAIL))
    [request_id] = (await pending_request_ids(staff)).values()
    before = await outbox(app)
    # when
    result = await approve(staff, request_id)
    # then
    assert result["__typename"] == "StaffApproveAccessCodeRequestPayload"
    assert result["request"]["status"] == "APPROVED"
    assert result["request"]["deliveredBy"] == "EMAIL"
    new = (await outbox(app))[len(before) :]
    issued = [m for m in new if m.template == "access_code_issued"]
    assert [(m.channel, m.recipient) for m in issued] == [("EMAIL", REGISTER_EMAIL)]
    assert not [m for m in new if m.channel == "POST"]
    viewer = await viewer_with(app, code_in(issued[0].body), PASSWORD)
    assert (viewer["usage"], viewer["kvkNumber"], viewer["isMainUser"]) == ("BUSINESS", KVK, True)


@pytest.mark.parametrize(
    ("postal", "address"),
    [
        pytest.param(
            ("Postbus", "1020", "7400 BA", "Deventer"),
            "Testbedrijf B.V.\nPostbus 1020\n7400 BA Deventer",
            id="postal-address",
        ),
        pytest.param(
            None, "Testbedrijf B.V.\nKerkstraat 1\n1234 AB Amsterdam", id="visiting-address"
        ),
    ],
)
async def test_an_approved_code_goes_by_letter_to_the_registered_address_otherwise(
    app, client, staff, settings, postal, address
):
    # given: the applicant's e-mail is not the register's
    await add_company(app, postal=postal)
    await request_code(client, business_input())
    [request_id] = (await pending_request_ids(staff)).values()
    before = await outbox(app)
    # when
    result = await approve(staff, request_id)
    new = (await outbox(app))[len(before) :]  # as queued, before sending empties the bodies
    await dispatch_once(app)
    # then
    assert result["request"]["deliveredBy"] == "POST"
    [letter] = [m for m in new if m.channel == "POST"]
    assert (letter.template, letter.recipient, letter.address) == (
        "access_code_letter",
        "Bea Bakker",
        address,
    )
    # The code never goes to an e-mail address the register does not know.
    assert not [m for m in new if m.channel == "EMAIL" and CODE_PATTERN.search(m.body)]
    [pdf] = (settings.data_dir / "letters").glob(f"{letter.id:08d}-*.pdf")
    text = pdf_text(pdf)
    code = code_in(text)
    assert code == code_in(letter.body)
    assert address.splitlines()[-1] in text
    viewer = await viewer_with(app, code, PASSWORD)
    assert (viewer["usage"], viewer["email"]) == ("BUSINESS", "bea@example.nl")


async def test_the_first_approved_code_of_an_organisation_is_its_main_user_and_the_second_not(
    app, client, staff
):
    # given: two colleagues apply; Anna with the register's e-mail, Bea with her own
    await add_company(app)
    await request_code(client, business_input(email=REGISTER_EMAIL, name="Anna Eerst"))
    await request_code(client, business_input(email="bea@example.nl"))
    ids = await pending_request_ids(staff)
    # when
    await approve(staff, ids[REGISTER_EMAIL])
    await approve(staff, ids["bea@example.nl"])
    # then
    mails = await outbox(app)
    [first_code] = [code_in(m.body) for m in mails if m.template == "access_code_issued"]
    [second_code] = [code_in(m.body) for m in mails if m.template == "access_code_letter"]
    assert (await viewer_with(app, first_code))["isMainUser"] is True
    assert (await viewer_with(app, second_code))["isMainUser"] is False


async def test_two_requests_of_one_organisation_approved_at_once_give_one_main_user_and_mandate(
    app, client
):
    # given: two pending requests with a mandate each, and two staff members
    await add_company(app)
    await request_code(client, business_input(email=REGISTER_EMAIL, name="Anna Eerst"))
    other = {"iban": OTHER_IBAN, "accountHolder": "Bea Bakker", "consent": True}
    await request_code(client, business_input(mandate=other))
    async with http_client(app) as one, http_client(app) as two:
        await staff_client_login(app, one)
        await staff_client_login(app, two)
        ids = await pending_request_ids(one)
        # when
        results = await asyncio.gather(
            approve(one, ids[REGISTER_EMAIL]), approve(two, ids["bea@example.nl"])
        )
    # then
    assert [r["__typename"] for r in results] == ["StaffApproveAccessCodeRequestPayload"] * 2
    async with app.state.deps.db.read() as session:
        main_users = await session.scalar(
            select(func.count()).where(Account.kvk_number == KVK, Account.is_main_user)
        )
    assert main_users == 1
    assert len(await mandates(app)) == 1


async def test_one_request_approved_twice_at_once_gives_one_account(app, client):
    # given
    await add_company(app)
    await request_code(client, business_input(email=REGISTER_EMAIL))
    async with http_client(app) as one, http_client(app) as two:
        await staff_client_login(app, one)
        await staff_client_login(app, two)
        [request_id] = (await pending_request_ids(one)).values()
        # when
        results = await asyncio.gather(approve(one, request_id), approve(two, request_id))
    # then
    assert sorted(r["__typename"] for r in results) == [
        "InvalidState",
        "StaffApproveAccessCodeRequestPayload",
    ]
    issued = [m for m in await outbox(app) if m.template == "access_code_issued"]
    assert len(issued) == 1
    async with app.state.deps.db.read() as session:
        accounts = await session.scalar(select(func.count()).where(Account.kvk_number == KVK))
    assert accounts == 1


async def test_identical_requests_at_the_same_moment_leave_one_request(app, client):
    # given
    await add_company(app)
    # when
    results = await asyncio.gather(*(request_code(client, business_input()) for _ in range(4)))
    # then
    assert all(r == results[0] for r in results)
    assert results[0]["__typename"] == "RequestAccessCodePayload"
    assert len(await request_rows(app)) == 1
    templates = sorted(m.template for m in await outbox(app))
    assert templates == ["access_code_exists"] * 3 + ["access_code_request_received"]


async def test_the_mandate_of_the_first_approved_request_becomes_the_organisations(
    app, client, staff
):
    # given: two pending requests, each with its own mandate
    await add_company(app)
    await request_code(client, business_input(email=REGISTER_EMAIL, name="Anna Eerst"))
    other = {"iban": OTHER_IBAN, "accountHolder": "Bea Bakker", "consent": True}
    await request_code(client, business_input(mandate=other))
    ids = await pending_request_ids(staff)
    # when
    await approve(staff, ids[REGISTER_EMAIL])
    after_first = await mandates(app)
    await approve(staff, ids["bea@example.nl"])
    # then: the first one's mandate is the organisation's; the later one replaces nothing
    [mandate] = await mandates(app)
    assert after_first == [mandate]
    assert (mandate.kvk_number, mandate.iban, mandate.active) == (KVK, VALID_IBAN, True)
    assert mandate.reference.startswith("TOEGANG-")
    assert mandate.account_id is None
    changed = [m for m in await outbox(app) if m.template == "payment_method_changed"]
    assert [m.recipient for m in changed] == [REGISTER_EMAIL]
    assert mandate.reference in changed[0].body
    assert VALID_IBAN not in changed[0].body  # masked


async def test_a_request_needs_no_mandate_once_the_organisation_has_one(app, client, staff):
    # given: an approved request gave the organisation its mandate
    await add_company(app)
    await request_code(client, business_input(email=REGISTER_EMAIL, name="Anna Eerst"))
    await approve(staff, (await pending_request_ids(staff))[REGISTER_EMAIL])
    # when
    result = await request_code(client, business_input(mandate=None))
    # then
    assert result["__typename"] == "RequestAccessCodePayload"
    assert result["expectedBy"] == EXPECTED_BY.isoformat()
    assert len(await mandates(app)) == 1


async def test_mandate_references_are_unique_per_organisation(app, client, staff):
    # given: two organisations, each approved with its own mandate
    await add_company(app)
    await add_company(app, kvk_number="23456789", name="Ander B.V.", email="info@ander.example")
    await request_code(client, business_input(email=REGISTER_EMAIL, name="Anna Eerst"))
    await request_code(client, business_input(email="info@ander.example", kvkNumber="23456789"))
    ids = await pending_request_ids(staff)
    # when
    for request_id in ids.values():
        await approve(staff, request_id)
    # then
    rows = await mandates(app)
    assert sorted(m.kvk_number or "" for m in rows) == ["12345678", "23456789"]
    assert len({m.reference for m in rows}) == 2


async def test_a_rejected_request_is_emailed_its_reason_and_cannot_be_approved_afterwards(
    app, client, staff
):
    # given
    await add_company(app)
    await request_code(client, business_input())
    [request_id] = (await pending_request_ids(staff)).values()
    # when
    body = await gql(
        staff, REJECT, {"input": {"requestId": request_id, "reason": "Onbekend bij de organisatie"}}
    )
    after_reject = await outbox(app)
    late = await approve(staff, request_id)
    # then
    result = body["data"]["staffRejectAccessCodeRequest"]
    assert result["__typename"] == "StaffRejectAccessCodeRequestPayload"
    assert result["request"]["status"] == "REJECTED"
    rejected = after_reject[-1]
    assert (rejected.template, rejected.recipient) == (
        "access_code_request_rejected",
        "bea@example.nl",
    )
    assert "Onbekend bij de organisatie" in rejected.body
    assert late["__typename"] == "InvalidState"
    assert late["code"] == "INVALID_STATE"
    assert late["field"] == ["requestId"]
    assert await outbox(app) == after_reject
    assert await mandates(app) == []
    [row] = await request_rows(app)
    assert (row.status, row.account_id, row.password_hash) == ("REJECTED", None, "")


async def test_an_approved_request_keeps_no_copy_of_the_password_hash(app, client, staff):
    # given
    await add_company(app)
    await request_code(client, business_input())
    [request_id] = (await pending_request_ids(staff)).values()
    # when
    await approve(staff, request_id)
    # then: the hash lives on the account only
    [row] = await request_rows(app)
    assert row.status == "APPROVED"
    assert row.account_id is not None
    assert row.password_hash == ""


async def test_a_throttled_request_costs_no_password_hash_and_sends_nothing(app, client):
    # given: this address already asked for 30 codes this hour (the per-client mail limit)
    hashing = app.state.deps.hashing
    for n in range(30):
        body = await gql(
            client,
            REQUEST_ACCESS_CODE,
            {
                "input": {
                    "usage": "PRIVATE",
                    "name": "Reeks Aanvrager",
                    "email": f"reeks{n}@example.nl",
                    "password": "lange zinnen zijn sterke wachtwoorden",
                }
            },
        )
        assert "errors" not in body, body
    hashes_before, mails_before = hashing.hashes, len(await outbox(app))
    # when
    body = await gql(
        client,
        REQUEST_ACCESS_CODE,
        {
            "input": {
                "usage": "PRIVATE",
                "name": "Reeks Aanvrager",
                "email": "nog.een@example.nl",
                "password": "lange zinnen zijn sterke wachtwoorden",
            }
        },
    )
    # then
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (hashing.hashes, len(await outbox(app))) == (hashes_before, mails_before)


@pytest.mark.parametrize(
    "name", ["Jan\u0000Jansen", "Jan\u202eJansen", "Jan\u0007Jansen"], ids=["nul", "rtl", "bell"]
)
async def test_a_name_with_control_characters_is_refused_and_nothing_is_stored(app, client, name):
    # given
    values = {
        "usage": "PRIVATE",
        "name": name,
        "email": "jan@example.nl",
        "password": "lange zinnen zijn sterke wachtwoorden",
    }
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, {"input": values})
    # then: a clear answer on both backends (PostgreSQL cannot even store a NUL)
    result = body["data"]["requestAccessCode"]
    assert result["__typename"] == "InvalidInput"
    assert result["field"] == ["name"]
    assert await outbox(app) == []
