"""Changing the payment method (SPEC §3.2, seed: "Betaalwijze aanpassen naar automatische
incasso"): a validated IBAN, holder and consent make a mandate with a unique reference; one
active mandate per account or organisation; only an organisation's main user changes its
mandate; every change is confirmed by a "was this you?" mail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col
from starlette.applications import Starlette

from gql.models.mandates import DirectDebitMandate
from tests.payments.support import OTHER_IBAN, PAYER_IBAN, balance, pay, private_client, sqlite_only
from tests.support.api import gql, http_client, outbox
from tests.support.factories import add_account, add_company, log_in

CHANGE = """
mutation Change($input: ChangePaymentMethodInput!) {
  changePaymentMethod(input: $input) {
    __typename
    ... on ChangePaymentMethodPayload {
      paymentMethod { method canChange mandate { reference ibanMasked accountHolder signedAt } }
    }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

METHOD = "{ viewer { paymentMethod { method canChange mandate { reference ibanMasked } } } }"


def mandate_input(
    iban: str = PAYER_IBAN, holder: str = "P. Pieterse", *, consent: bool = True
) -> dict[str, Any]:
    return {
        "method": "DIRECT_DEBIT",
        "mandate": {"iban": iban, "accountHolder": holder, "consent": consent},
    }


async def change(client: httpx.AsyncClient, the_input: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, CHANGE, {"input": the_input})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["changePaymentMethod"]
    return result


async def mandates(app: Starlette) -> list[DirectDebitMandate]:
    async with app.state.deps.db.read() as session:
        rows = await session.execute(
            select(DirectDebitMandate).order_by(col(DirectDebitMandate.id))
        )
        return list(rows.scalars())


async def test_a_private_account_switches_to_direct_debit_and_back_keeping_its_balance(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        await pay(app, client, 1500)

        # when: to direct debit, with spaces and lower case in the IBAN
        switched = await change(client, mandate_input("nl91 abna 0417 1643 00"))

        # then: a mandate with a reference and a signing date; the mail asks "was this you?"
        method = switched["paymentMethod"]
        assert method["method"] == "DIRECT_DEBIT" and method["canChange"] is True
        assert method["mandate"]["ibanMasked"] == "NL91 **** **** 4300"
        assert method["mandate"]["reference"] and method["mandate"]["signedAt"]
        [mail] = [m for m in await outbox(app) if method["mandate"]["reference"] in m.body]
        assert mail.recipient == "piet@example.nl"
        assert "niet" in mail.body.lower()  # "Was jij dit niet? ..."
        assert (await balance(client))["balanceCents"] == 1500

        # when: back to the balance
        back = await change(client, {"method": "BALANCE"})

        # then: the mandate ends, the balance is still there
        assert back["paymentMethod"] == {"method": "BALANCE", "canChange": True, "mandate": None}
        assert [m.active for m in await mandates(app)] == [False]
        assert (await balance(client))["balanceCents"] == 1500


async def test_a_new_iban_is_a_new_mandate_and_the_same_one_changes_nothing(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        first = (await change(client, mandate_input()))["paymentMethod"]["mandate"]
        same = (await change(client, mandate_input()))["paymentMethod"]["mandate"]
        other = (await change(client, mandate_input(OTHER_IBAN)))["paymentMethod"]["mandate"]

        assert same["reference"] == first["reference"]
        assert other["reference"] != first["reference"]
        rows = await mandates(app)
        assert [(m.iban, m.active) for m in rows] == [(PAYER_IBAN, False), (OTHER_IBAN, True)]
        read = await gql(client, METHOD)
        assert read["data"]["viewer"]["paymentMethod"]["mandate"]["reference"] == other["reference"]


BAD_MANDATES = (
    (mandate_input("NL91ABNA0417164301"), [["mandate", "iban"]]),
    (mandate_input("GEEN IBAN"), [["mandate", "iban"]]),
    (mandate_input(holder="  "), [["mandate", "accountHolder"]]),
    (mandate_input(consent=False), [["mandate", "consent"]]),
    ({"method": "DIRECT_DEBIT"}, [["mandate"]]),
)


@sqlite_only
async def test_a_bad_mandate_is_refused_naming_the_field_and_nothing_changes(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        for the_input, fields in BAD_MANDATES:
            result = await change(client, the_input)

            assert result["__typename"] == "InvalidInput", the_input
            assert [p["field"] for p in result["problems"]] == fields
        assert await mandates(app) == []
        read = await gql(client, METHOD)
        assert read["data"]["viewer"]["paymentMethod"]["method"] == "BALANCE"


@pytest.fixture
async def organisation(app: Starlette) -> dict[str, str]:
    await add_company(app)
    main = await add_account(
        app,
        usage="BUSINESS",
        kvk_number="12345678",
        is_main_user=True,
        email="hoofd@testbedrijf.example",
    )
    other = await add_account(
        app, usage="BUSINESS", kvk_number="12345678", email="collega@testbedrijf.example"
    )
    return {"main": main, "other": other}


@asynccontextmanager
async def signed_in(app: Starlette, code: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        result = await log_in(client, code)
        assert result["__typename"] == "LogInPayload", result
        yield client


@sqlite_only
async def test_only_the_main_user_changes_the_organisations_mandate(
    app: Starlette, organisation: dict[str, str]
) -> None:
    async with (
        signed_in(app, organisation["main"]) as main,
        signed_in(app, organisation["other"]) as other,
    ):
        # when
        refused = await gql(other, CHANGE, {"input": mandate_input()})
        signed = await change(main, mandate_input(holder="Testbedrijf B.V."))

        # then: the other code is FORBIDDEN and sees the mandate the main user signed
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert signed["__typename"] == "ChangePaymentMethodPayload"
        seen = (await gql(other, METHOD))["data"]["viewer"]["paymentMethod"]
        assert seen["canChange"] is False
        assert seen["mandate"]["reference"] == signed["paymentMethod"]["mandate"]["reference"]
        [row] = await mandates(app)
        assert (row.kvk_number, row.account_id) == ("12345678", None)


@sqlite_only
async def test_an_organisation_cannot_choose_the_balance(
    app: Starlette, organisation: dict[str, str]
) -> None:
    async with signed_in(app, organisation["main"]) as main:
        result = await change(main, {"method": "BALANCE"})

        assert result["__typename"] == "InvalidInput"
        assert [p["field"] for p in result["problems"]] == [["method"]]


async def test_two_mandates_signed_at_once_leave_one_active(
    app: Starlette, organisation: dict[str, str]
) -> None:
    async with signed_in(app, organisation["main"]) as main:
        results = await asyncio.gather(
            change(main, mandate_input(PAYER_IBAN, "Testbedrijf B.V.")),
            change(main, mandate_input(OTHER_IBAN, "Testbedrijf B.V.")),
        )

        assert {r["__typename"] for r in results} == {"ChangePaymentMethodPayload"}
        assert [m.active for m in await mandates(app)].count(True) == 1


@sqlite_only
async def test_staff_and_anonymous_callers_cannot_change_a_payment_method(
    app: Starlette, staff: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    as_staff = await gql(staff, CHANGE, {"input": mandate_input()})
    anonymous = await gql(client, CHANGE, {"input": mandate_input()})

    assert as_staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
