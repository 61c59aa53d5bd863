"""Roles inside an organisation (SPEC §2): staff deactivate the code of a person who left and
name another main user; the organisation is told at its registered address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette

from gql import i18n
from gql.models.accounts import Account, AuthSession, OneTimeToken, Usage
from gql.models.register import Company
from gql.schema.types.ids import to_global_id
from gql.services.accounts import access_codes
from gql.services.accounts.accounts import new_account
from gql.services.shared.formatting import format_moment
from tests.support.api import gql, http_client, outbox
from tests.support.backoffice import add_request, audit_rows, request_ids
from tests.support.factories import (
    APPROVE,
    PASSWORD,
    VIEWER,
    add_account,
    add_company,
    log_in,
    staff_client_login,
)
from tests.support.statements import StatementLog, assert_statements, driver_trace

KVK = "12345678"
REGISTER_EMAIL = "info@testbedrijf.example"
OTHER_KVK = "23456789"

ORGANISATION_CODES = """
query OrganisationCodes($kvkNumber: String!) {
  staff { organisationCodes(kvkNumber: $kvkNumber) {
    id name email accessCode kvkNumber isMainUser active createdAt
  } }
}
"""

DEACTIVATE = """
mutation Deactivate($input: StaffDeactivateAccessCodeInput!) {
  staffDeactivateAccessCode(input: $input) {
    __typename
    ... on StaffDeactivateAccessCodePayload { account { id name isMainUser active } }
    ... on Error { code message field }
  }
}
"""

MAKE_MAIN_USER = """
mutation MakeMainUser($input: StaffMakeMainUserInput!) {
  staffMakeMainUser(input: $input) {
    __typename
    ... on StaffMakeMainUserPayload {
      account { id name isMainUser active }
      previousMainUser { id name isMainUser active }
    }
    ... on Error { code message field }
  }
}
"""

REQUEST_RESET = """
mutation Reset($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { __typename }
}
"""


@pytest.fixture(autouse=True)
def trace() -> Iterator[StatementLog]:
    """Installed before the app starts, so every connection it opens reports its statements."""
    with driver_trace() as log:
        yield log


async def organisation(app: Starlette, *, email: str | None = REGISTER_EMAIL) -> dict[str, str]:
    """Testbedrijf with three codes: Anna (the main user, with the register's e-mail), Bea and
    Kees. Returns their access codes (display form) by first name."""
    await add_company(app, email=email)
    deps = app.state.deps
    password_hash = await deps.hashing.hash(PASSWORD)  # once: argon2 is the slow part
    made = {}
    async with deps.db.write() as session:
        for name, address in (
            ("Anna Eerst", REGISTER_EMAIL),
            ("Bea Bakker", "bea@example.nl"),
            ("Kees Klein", "kees@example.nl"),
        ):
            account = await new_account(
                session,
                usage=Usage.BUSINESS,
                name=name,
                email=address,
                kvk_number=KVK,
                is_main_user=name == "Anna Eerst",
                password_hash=password_hash,
                now=deps.clock.now(),
            )
            made[name.split()[0]] = access_codes.display(account.access_code)
        await session.commit()
    return made


async def codes(staff: httpx.AsyncClient, kvk_number: str = KVK) -> list[dict[str, Any]]:
    body = await gql(staff, ORGANISATION_CODES, {"kvkNumber": kvk_number})
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["staff"]["organisationCodes"]
    return found


async def ids(staff: httpx.AsyncClient) -> dict[str, str]:
    """Global account id by first name."""
    return {c["name"].split()[0]: c["id"] for c in await codes(staff)}


async def deactivate(client: httpx.AsyncClient, account_id: str) -> dict[str, Any]:
    body = await gql(client, DEACTIVATE, {"input": {"accountId": account_id}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffDeactivateAccessCode"]
    return result


async def make_main_user(client: httpx.AsyncClient, account_id: str) -> dict[str, Any]:
    body = await gql(client, MAKE_MAIN_USER, {"input": {"accountId": account_id}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffMakeMainUser"]
    return result


async def accounts(app: Starlette) -> list[tuple[Any, ...]]:
    """Every account with what a role change may touch and what it must leave alone."""
    async with app.state.deps.db.read() as session:
        rows = (await session.execute(select(Account).order_by(Account.id))).scalars()
        return [
            (a.name, a.access_code, a.password_hash, a.email, a.is_main_user, a.active)
            for a in rows
        ]


async def main_users(app: Starlette) -> list[str]:
    async with app.state.deps.db.read() as session:
        query = select(Account.name).where(
            Account.kvk_number == KVK,
            Account.is_main_user.is_(True),  # type: ignore[attr-defined]
            Account.active.is_(True),  # type: ignore[attr-defined]
        )
        return list((await session.execute(query)).scalars())


async def company_row(app: Starlette) -> tuple[Any, ...]:
    async with app.state.deps.db.read() as session:
        company = await session.get(Company, KVK)
    assert company is not None
    return (company.name, company.email, company.postal_code, company.updated_at)


def masked(display_code: str) -> str:
    return "••••-••••-" + display_code[-4:]


def refused(result: dict[str, Any], message_key: str) -> None:
    assert result == {
        "__typename": "InvalidState",
        "code": "INVALID_STATE",
        "message": i18n.text(message_key, "nl"),
        "field": ["accountId"],
    }


# --- Reading an organisation's codes -------------------------------------------------------------


async def test_staff_read_an_organisations_codes_oldest_first_masked_in_one_statement(
    app, staff, trace
):
    # given: Testbedrijf's three codes, and another organisation's
    display = await organisation(app)
    await add_company(app, kvk_number=OTHER_KVK, name="Ander B.V.", email="info@ander.example")
    await add_account(
        app, usage="BUSINESS", name="Otto Ander", email="otto@ander.example", kvk_number=OTHER_KVK
    )
    # when: the session lookup and the list, nothing else
    async with assert_statements(trace, 2):
        found = await codes(staff)
    # then
    assert [(c["name"], c["accessCode"], c["isMainUser"], c["active"]) for c in found] == [
        ("Anna Eerst", masked(display["Anna"]), True, True),
        ("Bea Bakker", masked(display["Bea"]), False, True),
        ("Kees Klein", masked(display["Kees"]), False, True),
    ]
    assert {(c["kvkNumber"], c["createdAt"] is not None) for c in found} == {(KVK, True)}
    assert found[1]["email"] == "bea@example.nl"
    assert await codes(staff, "99999999") == []


# --- Deactivating a code --------------------------------------------------------------------------


async def test_a_deactivated_code_stops_at_once_and_the_organisation_gets_one_mail(
    app, staff, clock
):
    # given: Bea signed in twice (a cookie and a bearer token) with a reset link on its way
    display = await organisation(app)
    account_ids = await ids(staff)
    async with http_client(app) as browser, http_client(app) as phone:
        assert (await log_in(browser, display["Bea"]))["__typename"] == "LogInPayload"
        signed_in = await log_in(phone, display["Bea"], session="TOKEN")
        bearer = {"authorization": f"Bearer {signed_in['token']}"}
        await gql(browser, REQUEST_RESET, {"input": {"accessCode": display["Bea"]}})
        before = await outbox(app)  # the worker issues the reset token
        accounts_before = await accounts(app)
        company_before = await company_row(app)
        # when
        result = await deactivate(staff, account_ids["Bea"])
        # then: neither session works any more, nor does the code
        assert (await gql(browser, VIEWER))["data"]["viewer"] is None
        assert (await gql(phone, VIEWER, headers=bearer))["data"]["viewer"] is None
        refreshed = await gql(
            phone,
            "mutation($i: RefreshSessionInput!) { refreshSession(input: $i) { __typename } }",
            {"i": {"refreshToken": signed_in["refreshToken"]}},
        )
        assert refreshed["data"]["refreshSession"]["__typename"] == "InvalidToken"
        again = await log_in(browser, display["Bea"])
    assert again["__typename"] == "InvalidCredentials"
    assert result == {
        "__typename": "StaffDeactivateAccessCodePayload",
        "account": {
            "id": account_ids["Bea"],
            "name": "Bea Bakker",
            "isMainUser": False,
            "active": False,
        },
    }
    bea = await _pk(app, "Bea Bakker")
    async with app.state.deps.db.read() as session:
        query = select(AuthSession.kind, AuthSession.ended_at).where(AuthSession.account_id == bea)
        sessions = sorted((await session.execute(query)).all())
        tokens = list((await session.execute(select(OneTimeToken.used_at))).scalars())
    assert sessions == [("COOKIE", clock.now()), ("TOKEN", clock.now())]
    assert tokens == [clock.now()]
    # The organisation's registered address gets one mail; Bea, whose code it was, one too.
    new = (await outbox(app))[len(before) :]
    assert [(m.channel, m.template, m.recipient) for m in new] == [
        ("EMAIL", "organisation_code_deactivated", REGISTER_EMAIL),
        ("EMAIL", "access_code_deactivated", "bea@example.nl"),
    ]
    for expected in (masked(display["Bea"]), "Bea Bakker", format_moment(clock.now(), "nl")):
        assert expected in new[0].body
    assert "servicecenter" in new[0].body
    assert display["Bea"] not in new[0].body + new[1].body  # the code itself never
    # One audit event; only Bea's active flag changed.
    [event] = await audit_rows(app)
    assert (event.action, event.subject) == ("account.deactivated", f"account:{bea}")
    assert event.details == f"kvk {KVK}; was main user: no"
    after = await accounts(app)
    changed = [(b, a) for b, a in zip(accounts_before, after, strict=True) if b != a]
    assert [(b[0], b[5], a[5]) for b, a in changed] == [("Bea Bakker", True, False)]
    assert await company_row(app) == company_before
    assert [c["active"] for c in await codes(staff)] == [True, False, True]


async def test_the_main_user_cannot_be_deactivated_before_a_successor_is_named(app, staff):
    # given
    await organisation(app)
    account_ids = await ids(staff)
    before = (await outbox(app), await accounts(app))
    # when
    result = await deactivate(staff, account_ids["Anna"])
    # then
    refused(result, "main_user_needs_successor")
    assert (await outbox(app), await accounts(app)) == before
    assert await audit_rows(app) == []
    # when: Bea is named first
    await make_main_user(staff, account_ids["Bea"])
    mails_before = await outbox(app)
    result = await deactivate(staff, account_ids["Anna"])
    # then: Anna's address is the register's, so one mail says it
    assert result["__typename"] == "StaffDeactivateAccessCodePayload"
    new = (await outbox(app))[len(mails_before) :]
    assert [(m.template, m.recipient) for m in new] == [
        ("organisation_code_deactivated", REGISTER_EMAIL)
    ]
    assert await main_users(app) == ["Bea Bakker"]


async def test_the_last_active_code_may_go_and_the_next_approved_code_is_the_main_user(app, staff):
    # given: a register without e-mail address, and Anna the organisation's only code
    await add_company(app, email=None, postal=("Postbus", "1020", "7400 BA", "Deventer"))
    display = await add_account(
        app,
        usage="BUSINESS",
        name="Anna Eerst",
        email="anna@example.nl",
        kvk_number=KVK,
        is_main_user=True,
    )
    [anna] = await codes(staff)
    before = await outbox(app)
    # when
    result = await deactivate(staff, anna["id"])
    # then: a letter to the registered postal address says that no code is left
    assert result["__typename"] == "StaffDeactivateAccessCodePayload"
    assert (result["account"]["isMainUser"], result["account"]["active"]) == (False, False)
    new = (await outbox(app))[len(before) :]
    assert [(m.channel, m.template, m.recipient) for m in new] == [
        ("POST", "organisation_code_deactivated", "T.a.v. de directie"),
        ("EMAIL", "access_code_deactivated", "anna@example.nl"),
    ]
    assert new[0].address == "Testbedrijf B.V.\nPostbus 1020\n7400 BA Deventer"
    assert masked(display) in new[0].body and "laatste actieve toegangscode" in new[0].body
    [event] = await audit_rows(app)
    assert event.details == f"kvk {KVK}; was main user: yes"
    # when: a colleague's request is approved afterwards
    await add_request(app, "bea@example.nl")
    approved = await gql(
        staff, APPROVE, {"input": {"requestId": (await request_ids(staff))["bea@example.nl"]}}
    )
    # then
    assert approved["data"]["staffApproveAccessCodeRequest"]["__typename"] == (
        "StaffApproveAccessCodeRequestPayload"
    )
    assert await main_users(app) == ["Bea Bakker"]


# --- Naming the main user -------------------------------------------------------------------------


async def test_making_a_code_main_user_moves_the_role_in_one_step_and_tells_the_organisation(
    app, staff, clock
):
    # given
    display = await organisation(app)
    account_ids = await ids(staff)
    before = await outbox(app)
    # when
    result = await make_main_user(staff, account_ids["Bea"])
    # then: Bea is the one main user, Anna an ordinary code
    assert result == {
        "__typename": "StaffMakeMainUserPayload",
        "account": {
            "id": account_ids["Bea"],
            "name": "Bea Bakker",
            "isMainUser": True,
            "active": True,
        },
        "previousMainUser": {
            "id": account_ids["Anna"],
            "name": "Anna Eerst",
            "isMainUser": False,
            "active": True,
        },
    }
    assert await main_users(app) == ["Bea Bakker"]
    async with http_client(app) as bea:
        await log_in(bea, display["Bea"])
        assert (await gql(bea, VIEWER))["data"]["viewer"]["isMainUser"] is True
    [mail] = (await outbox(app))[len(before) :]
    assert (mail.channel, mail.template, mail.recipient) == (
        "EMAIL",
        "organisation_main_user_changed",
        REGISTER_EMAIL,
    )
    for expected in (
        f"toegangscode {masked(display['Bea'])} van Bea Bakker de hoofdgebruiker",
        f"Daarvoor was dat toegangscode {masked(display['Anna'])} van Anna Eerst",
        format_moment(clock.now(), "nl"),
        "servicecenter",
    ):
        assert expected in mail.body
    [event] = await audit_rows(app)
    anna_pk = await _pk(app, "Anna Eerst")
    assert (event.action, event.details) == (
        "account.made_main_user",
        f"kvk {KVK}; previous main user: account {anna_pk}",
    )
    assert event.subject == f"account:{await _pk(app, 'Bea Bakker')}"


async def _pk(app: Starlette, name: str) -> int:
    async with app.state.deps.db.read() as session:
        pk = await session.scalar(select(Account.id).where(Account.name == name))
    assert pk is not None
    return int(pk)


async def test_only_an_active_business_code_is_deactivated_or_made_main_user(app, staff):
    # given: a deactivated business code, a private account, and staff's own
    await organisation(app)
    await add_account(app, name="Piet Pieterse", email="piet@example.nl")
    account_ids = await ids(staff)
    assert (await deactivate(staff, account_ids["Kees"]))["__typename"] == (
        "StaffDeactivateAccessCodePayload"
    )
    private = to_global_id("Viewer", await _pk(app, "Piet Pieterse"))
    own = (await gql(staff, "query { viewer { id } }"))["data"]["viewer"]["id"]
    before = (await outbox(app), await accounts(app), await audit_rows(app))
    # when / then
    refused(await deactivate(staff, account_ids["Kees"]), "code_already_inactive")
    refused(await make_main_user(staff, account_ids["Kees"]), "code_inactive")
    refused(await make_main_user(staff, account_ids["Anna"]), "already_main_user")
    for other in (private, own):
        refused(await deactivate(staff, other), "not_a_business_code")
        refused(await make_main_user(staff, other), "not_a_business_code")
    assert (await outbox(app), await accounts(app), await audit_rows(app)) == before


async def test_two_codes_made_main_user_at_once_leave_exactly_one_main_user(app, staff):
    # given: two staff members; each round both name another code of the organisation
    await organisation(app)
    account_ids = await ids(staff)
    main_user = "Anna"
    async with http_client(app) as other:
        await staff_client_login(app, other)
        for _round in range(3):
            one, two = sorted(set(account_ids) - {main_user})
            # when
            results = await asyncio.gather(
                make_main_user(staff, account_ids[one]), make_main_user(other, account_ids[two])
            )
            # then: one after the other, the second replacing the first (not the old one again)
            assert [r["__typename"] for r in results] == ["StaffMakeMainUserPayload"] * 2
            [winner] = await main_users(app)
            first, last = sorted(results, key=lambda r: r["account"]["name"] == winner)
            assert first["previousMainUser"]["id"] == account_ids[main_user]
            assert last["previousMainUser"]["id"] == first["account"]["id"]
            main_user = winner.split()[0]
    assert len(await audit_rows(app)) == 6


# --- Who may, and what does not exist -------------------------------------------------------------


async def test_only_staff_manage_an_organisations_codes_and_nothing_changes_for_others(
    app, client, staff
):
    # given: Bea signed in as a customer, and an anonymous visitor
    display = await organisation(app)
    account_ids = await ids(staff)
    await log_in(client, display["Anna"])
    before = (await outbox(app), await accounts(app))
    async with http_client(app) as visitor:
        for caller, expected in ((client, "FORBIDDEN"), (visitor, "UNAUTHENTICATED")):
            for document, variables in (
                (DEACTIVATE, {"input": {"accountId": account_ids["Kees"]}}),
                (MAKE_MAIN_USER, {"input": {"accountId": account_ids["Bea"]}}),
                (ORGANISATION_CODES, {"kvkNumber": KVK}),
            ):
                # when
                body = await gql(caller, document, variables)
                # then
                assert body["data"] is None, body
                assert [e["extensions"]["code"] for e in body["errors"]] == [expected]
    assert (await outbox(app), await accounts(app)) == before
    assert await audit_rows(app) == []


async def test_unknown_and_malformed_account_ids_are_not_found(app, staff):
    # given: ids of no account, of another type (with an account's number), and no id at all
    await organisation(app)
    bea = await _pk(app, "Bea Bakker")
    before = (await outbox(app), await accounts(app))
    for account_id in (
        to_global_id("Viewer", 999_999),
        to_global_id("AccessCodeRequest", bea),
        "no-id",
        "",
    ):
        for document, field in (
            (DEACTIVATE, "staffDeactivateAccessCode"),
            (MAKE_MAIN_USER, "staffMakeMainUser"),
        ):
            # when
            body = await gql(staff, document, {"input": {"accountId": account_id}})
            # then
            result = body["data"][field]
            assert (result["__typename"], result["code"], result["field"]) == (
                "NotFound",
                "NOT_FOUND",
                ["accountId"],
            )
    assert (await outbox(app), await accounts(app)) == before
    assert await audit_rows(app) == []


# --- The database's own rule ----------------------------------------------------------------------


async def test_the_database_refuses_a_second_active_main_user_of_an_organisation(app):
    # given: Anna is the main user; Kees's code is deactivated
    await organisation(app)
    async with app.state.deps.db.write() as session:
        await session.execute(text("UPDATE account SET active = false WHERE name = 'Kees Klein'"))
        await session.commit()
    # when / then: an inactive code may keep the flag, an active second one may not
    async with app.state.deps.db.write() as session:
        await session.execute(
            text("UPDATE account SET is_main_user = true WHERE name = 'Kees Klein'")
        )
        await session.commit()
    with pytest.raises(IntegrityError):
        async with app.state.deps.db.write() as session:
            await session.execute(
                text("UPDATE account SET is_main_user = true WHERE name = 'Bea Bakker'")
            )
            await session.commit()
    assert await main_users(app) == ["Anna Eerst"]
