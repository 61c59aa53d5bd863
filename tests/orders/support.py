"""What the order tests share: documents, a private account with money on its balance,
a business organisation with its mandate, and prices set for a test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from gql.models.orders import ProductPrice
from gql.services import mandates
from tests.payments.support import pay, private_client
from tests.support.api import gql, http_client
from tests.support.factories import add_account, add_company, log_in

KVK = "12345678"
OTHER_KVK = "87654321"

PLACE = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on PlaceOrderPayload {
      message
      order {
        id reference productCode kvkNumber financialYearEnd priceCents paymentMethod
        mandateReference toBeInvoiced status placedAt deliveredAt downloadUrl
      }
    }
    ... on InsufficientBalance { availableCents requiredCents }
    ... on MaintenanceInProgress { notice endsAt }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

ORDERS = """
query(
  $first: Int, $after: String, $status: OrderStatus, $placedFrom: Date, $placedUntil: Date,
  $kvkNumber: String
) {
  orders(
    first: $first, after: $after, status: $status, placedFrom: $placedFrom,
    placedUntil: $placedUntil, kvkNumber: $kvkNumber
  ) {
    edges {
      node {
        id reference status priceCents kvkNumber placedAt downloadUrl placedBy
        product { code name priceCents }
        company { name kvkNumber }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def order_input(
    product: str = "EXTRACT", kvk: str = KVK, year_end: date | None = None, **extra: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "productCode": product,
        "kvkNumber": kvk,
        "idempotencyKey": str(uuid.uuid4()),
        **extra,
    }
    if year_end is not None:
        values["financialYearEnd"] = year_end.isoformat()
    return values


async def place(client: httpx.AsyncClient, the_input: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, PLACE, {"input": the_input})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["placeOrder"]
    return result


async def list_orders(client: httpx.AsyncClient, **variables: Any) -> list[dict[str, Any]]:
    body = await gql(client, ORDERS, variables)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["orders"]["edges"]]


async def set_price(
    app: Starlette, product: str, cents: int, *, valid_from: datetime | None = None
) -> None:
    """A new tariff for a product from `valid_from` (default: a second ago)."""
    deps = app.state.deps
    async with deps.db.write() as session:
        session.add(
            ProductPrice(
                product_code=product,
                valid_from=valid_from or deps.clock.now() - timedelta(seconds=1),
                price_cents=cents,
            )
        )
        await session.commit()


@asynccontextmanager
async def customer_with_balance(
    app: Starlette, cents: int, *, email: str = "piet@example.nl"
) -> AsyncIterator[httpx.AsyncClient]:
    """A private account whose balance holds `cents`, signed in; the company KVK exists."""
    await add_company(app, kvk_number=KVK)
    async with private_client(app, email=email) as client:
        if cents:
            await pay(app, client, cents)
        yield client


async def organisation(app: Starlette, *, mandate: bool = True) -> dict[str, str]:
    """Testbedrijf (KVK) with a main user and a second code; its mandate when asked."""
    await add_company(app, kvk_number=KVK)
    main = await add_account(
        app, usage="BUSINESS", kvk_number=KVK, is_main_user=True, email="hoofd@testbedrijf.nl"
    )
    second = await add_account(
        app, usage="BUSINESS", kvk_number=KVK, email="collega@testbedrijf.nl"
    )
    if mandate:
        deps = app.state.deps
        async with deps.db.write() as session:
            await mandates.sign_company_mandate(
                session,
                kvk_number=KVK,
                iban="NL91ABNA0417164300",
                account_holder="Testbedrijf B.V.",
                now=deps.clock.now(),
            )
            await session.commit()
    return {"main": main, "second": second}


@asynccontextmanager
async def signed_in(app: Starlette, code: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        result = await log_in(client, code)
        assert result["__typename"] == "LogInPayload", result
        yield client
