"""Placing orders (SPEC §3.2): paid the account's way, its document made at once, refused
with a clear error naming the field, never charged twice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.orders import Order
from gql.services.orders import delivery
from tests.orders.support import (
    KVK,
    PLACE,
    customer_with_balance,
    order_input,
    organisation,
    place,
    set_price,
    signed_in,
)
from tests.payments.support import (
    assert_ledger_holds,
    balance,
    request_refund,
    sqlite_only,
)
from tests.support.api import gql, gql_upload
from tests.support.documents import pdf_document
from tests.support.factories import add_company, pdf_text

FILE = """
mutation File($input: FileAnnualReportInput!) {
  fileAnnualReport(input: $input) { __typename ... on Error { code message } }
}
"""
FILED_PDF = pdf_document("Balans van het testbedrijf")


async def order_count(app: Starlette) -> int:
    async with app.state.deps.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


@sqlite_only
async def test_products_are_readable_without_signing_in_with_prices_and_no_vat(
    client: httpx.AsyncClient,
) -> None:
    body = await gql(
        client,
        "{ products { code name priceCents vatCents vatStatement needsFinancialYearEnd "
        "anonymousPurchase orderable } }",
    )

    products = {p["code"]: p for p in body["data"]["products"]}
    assert products["EXTRACT"]["name"] == "Uittreksel Handelsregister"
    assert products["EXTRACT"]["priceCents"] > 0
    assert {p["vatCents"] for p in products.values()} == {0}
    assert "btw" in products["EXTRACT"]["vatStatement"]
    assert products["CERTIFIED_EXTRACT_DIGITAL"]["anonymousPurchase"] is True
    assert products["ANNUAL_ACCOUNTS"]["needsFinancialYearEnd"] is True
    assert products["FILED_DOCUMENT"]["orderable"] is False


async def test_an_order_from_the_balance_is_debited_and_delivered_with_its_document(
    app: Starlette,
) -> None:
    async with customer_with_balance(app, 1000) as client:
        result = await place(client, order_input("EXTRACT"))

        assert result["__typename"] == "PlaceOrderPayload", result
        order = result["order"]
        assert (order["status"], order["paymentMethod"]) == ("DELIVERED", "BALANCE")
        assert order["toBeInvoiced"] is False and order["mandateReference"] is None
        price = order["priceCents"]
        now = await balance(client)
        assert now["balanceCents"] == 1000 - price
        assert now["transactions"]["edges"][0]["node"]["kind"] == "ORDER"
        document = await client.get(order["downloadUrl"].removeprefix("http://127.0.0.1:8000"))
        assert document.status_code == 200
        assert document.headers["content-type"] == "application/pdf"
        assert document.content.startswith(b"%PDF")
    await assert_ledger_holds(app)


async def test_a_business_order_is_collected_on_the_organisations_mandate(
    app: Starlette,
) -> None:
    codes = await organisation(app)
    async with signed_in(app, codes["second"]) as client:
        result = await place(client, order_input("COMPANY_PROFILE"))

        order = result["order"]
        assert (order["paymentMethod"], order["toBeInvoiced"]) == ("DIRECT_DEBIT", True)
        assert order["mandateReference"]
        assert order["status"] == "DELIVERED"


async def test_without_an_active_mandate_a_direct_debit_order_is_refused(
    app: Starlette,
) -> None:
    codes = await organisation(app, mandate=False)
    async with signed_in(app, codes["main"]) as client:
        result = await place(client, order_input())

        assert result["__typename"] == "InvalidState"
        assert "machtiging" in result["message"]
        assert await order_count(app) == 0


async def test_too_little_balance_is_refused_with_both_amounts_and_nothing_is_kept(
    app: Starlette,
) -> None:
    await set_price(app, "EXTRACT", 3000)
    async with customer_with_balance(app, 2500) as client:
        result = await place(client, order_input())

        assert result["__typename"] == "InsufficientBalance"
        assert (result["availableCents"], result["requiredCents"]) == (2500, 3000)
        assert await order_count(app) == 0
        assert (await balance(client))["balanceCents"] == 2500


async def test_fifty_orders_of_30_euro_at_once_against_100_make_exactly_three(
    app: Starlette,
) -> None:
    await set_price(app, "EXTRACT", 3000)
    async with customer_with_balance(app, 10000) as client:
        bodies = await asyncio.gather(
            *(gql(client, PLACE, {"input": order_input()}) for _ in range(50))
        )

        assert all("errors" not in body for body in bodies), bodies
        kinds = [body["data"]["placeOrder"]["__typename"] for body in bodies]
        assert kinds.count("PlaceOrderPayload") == 3
        assert kinds.count("InsufficientBalance") == 47
        assert (await balance(client))["balanceCents"] == 1000
        assert await order_count(app) == 3
    await assert_ledger_holds(app)


async def test_one_key_sent_fifty_times_at_once_makes_one_order_and_one_debit(
    app: Starlette,
) -> None:
    async with customer_with_balance(app, 10000) as client:
        the_input = order_input()
        bodies = await asyncio.gather(
            *(gql(client, PLACE, {"input": the_input}) for _ in range(50))
        )

        results = [body["data"]["placeOrder"] for body in bodies]
        payloads = [r for r in results if r["__typename"] == "PlaceOrderPayload"]
        others = {r["__typename"] for r in results if r["__typename"] != "PlaceOrderPayload"}
        assert others <= {"IdempotencyKeyInProgress"}
        assert len({p["order"]["id"] for p in payloads}) == 1
        assert await order_count(app) == 1
        debits = [
            e
            for e in (await balance(client))["transactions"]["edges"]
            if e["node"]["kind"] == "ORDER"
        ]
        assert len(debits) == 1


async def test_refunds_and_orders_at_once_never_spend_more_than_there_is(
    app: Starlette,
) -> None:
    await set_price(app, "EXTRACT", 3000)
    async with customer_with_balance(app, 10000) as client:
        results = await asyncio.gather(
            *(request_refund(client, 3000) for _ in range(20)),
            *(place(client, order_input()) for _ in range(20)),
        )

        succeeded = [
            r for r in results if r["__typename"] in {"RequestRefundPayload", "PlaceOrderPayload"}
        ]
        assert len(succeeded) == 3
        now = await balance(client)
        assert now["availableCents"] == 1000 and now["availableCents"] >= 0
    await assert_ledger_holds(app)


@sqlite_only
async def test_a_replay_answers_the_first_order_and_other_input_is_refused(
    app: Starlette,
) -> None:
    async with customer_with_balance(app, 1000) as client:
        the_input = order_input()
        first = await place(client, the_input)
        again = await place(client, the_input)
        other = await place(client, {**the_input, "productCode": "COMPANY_PROFILE"})

        assert again["order"]["id"] == first["order"]["id"]
        assert other["__typename"] == "IdempotencyKeyReused"
        assert await order_count(app) == 1


@sqlite_only
async def test_bad_input_is_refused_naming_the_field(app: Starlette) -> None:
    async with customer_with_balance(app, 1000) as client:
        cases = [
            (order_input("GEEN_PRODUCT"), ["productCode"]),
            (order_input("FILED_DOCUMENT", year_end=date(2024, 12, 31)), ["productCode"]),
            (order_input("EXTRACT", kvk="1234"), ["kvkNumber"]),
            (order_input("ANNUAL_ACCOUNTS"), ["financialYearEnd"]),
            (order_input("EXTRACT", year_end=date(2024, 12, 31)), ["financialYearEnd"]),
            (order_input(idempotencyKey=" "), ["idempotencyKey"]),
        ]
        for the_input, field in cases:
            result = await place(client, the_input)
            assert result["__typename"] == "InvalidInput", the_input
            assert [p["field"] for p in result["problems"]] == [field]
        unknown = await place(client, order_input(kvk="99999999"))
        assert (unknown["__typename"], unknown["field"]) == ("NotFound", ["kvkNumber"])
        assert await order_count(app) == 0


@sqlite_only
async def test_an_annual_accounts_product_needs_that_years_filing(app: Starlette) -> None:
    async with customer_with_balance(app, 5000) as client:
        result = await place(client, order_input("ANNUAL_ACCOUNTS", year_end=date(2023, 12, 31)))

        assert (result["__typename"], result["field"]) == ("NothingFiled", ["financialYearEnd"])


async def test_annual_accounts_are_delivered_with_the_filed_pdf_pages_appended(
    app: Starlette,
) -> None:
    # The filed version's media type (not its format name) reaches the document renderer.
    year_end = date(2024, 12, 31)
    codes = await organisation(app)
    async with signed_in(app, codes["main"]) as client:
        filed = await gql_upload(
            client,
            FILE,
            {
                "input": {
                    "kvkNumber": KVK,
                    "financialYearEnd": year_end.isoformat(),
                    "document": None,
                }
            },
            {"0": ("variables.input.document", ("jaarrekening.pdf", FILED_PDF, "application/pdf"))},
        )
        assert filed.json()["data"]["fileAnnualReport"]["__typename"] == "FileAnnualReportPayload"

        result = await place(client, order_input("ANNUAL_ACCOUNTS", year_end=year_end))

        assert result["__typename"] == "PlaceOrderPayload", result
        assert result["order"]["status"] == "DELIVERED"
        document = await client.get(
            result["order"]["downloadUrl"].removeprefix("http://127.0.0.1:8000")
        )
        assert document.status_code == 200
        assert "Balans van het testbedrijf" in pdf_text(document.content)


@sqlite_only
async def test_a_future_tariff_leaves_todays_orders_and_applies_from_its_moment(
    app: Starlette, clock: FrozenClock
) -> None:
    await set_price(app, "EXTRACT", 400)
    await set_price(app, "EXTRACT", 650, valid_from=clock.now() + timedelta(minutes=10))
    async with customer_with_balance(app, 5000) as client:
        before = await place(client, order_input())
        clock.advance(minutes=9, seconds=59)
        still = await place(client, order_input())
        clock.advance(seconds=1)
        after = await place(client, order_input())

        assert [o["order"]["priceCents"] for o in (before, still, after)] == [400, 400, 650]
        listed = await gql(client, "{ orders { edges { node { priceCents } } } }")
        prices = [e["node"]["priceCents"] for e in listed["data"]["orders"]["edges"]]
        assert prices == [650, 400, 400]


@sqlite_only
async def test_staff_and_anonymous_callers_cannot_order(
    app: Starlette, staff: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await add_company(app, kvk_number=KVK)

    as_staff = await gql(staff, PLACE, {"input": order_input()})
    anonymous = await gql(client, PLACE, {"input": order_input()})

    assert as_staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@sqlite_only
async def test_an_order_whose_document_failed_is_delivered_by_the_worker(
    app: Starlette, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with customer_with_balance(app, 1000) as client:
        with monkeypatch.context() as broken:

            def crash(*_: object) -> None:
                raise RuntimeError("the renderer died")

            broken.setattr(delivery, "_make", crash)
            placed = (await place(client, order_input()))["order"]
        assert placed["status"] == "PLACED" and placed["downloadUrl"] is None

        assert await delivery.deliver_pending(app.state.deps) == 0  # left to its request
        clock.advance(seconds=31)
        assert await delivery.deliver_pending(app.state.deps) == 1
        assert await delivery.deliver_pending(app.state.deps) == 0

        listed = await gql(client, "{ orders { edges { node { status downloadUrl } } } }")
        [node] = [e["node"] for e in listed["data"]["orders"]["edges"]]
        assert node["status"] == "DELIVERED" and node["downloadUrl"]
