"""Buying the digitally certified extract without an account: paid online, the link
e-mailed once the provider confirms; the link has a lifetime and a number of downloads;
no invoice, said in the answer and the mail; refused during maintenance; throttled."""

from __future__ import annotations

import re
import uuid
from typing import Any

import anyio.to_thread
import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.documents.signing import development_seal, validate_signed_pdf
from gql.models.orders import Order
from tests.orders.support import KVK
from tests.payments.support import deliver_webhooks, press, sqlite_only
from tests.payments.test_maintenance import open_window
from tests.support.api import gql, outbox
from tests.support.factories import add_company

BUY = """
mutation Buy($input: BuyCertifiedExtractInput!) {
  buyCertifiedExtract(input: $input) {
    __typename
    ... on BuyCertifiedExtractPayload {
      message
      order { reference status priceCents productCode paymentMethod }
      payment { id status paymentUrl amountCents }
    }
    ... on MaintenanceInProgress { notice endsAt }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

LINK = re.compile(r"http://127\.0\.0\.1:8000(/uittreksel/[A-Za-z0-9_-]{43})")


def buy_input(email: str = "koper@example.nl", **extra: Any) -> dict[str, Any]:
    return {
        "kvkNumber": KVK,
        "email": email,
        "method": "IDEAL",
        "idempotencyKey": str(uuid.uuid4()),
        **extra,
    }


async def buy(client: httpx.AsyncClient, the_input: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, BUY, {"input": the_input})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["buyCertifiedExtract"]
    return result


async def bought_and_paid(app: Starlette, client: httpx.AsyncClient) -> str:
    """Buy, pay on the checkout page, let the webhook come: the e-mailed link's path."""
    await add_company(app, kvk_number=KVK)
    result = await buy(client, buy_input())
    await press(app, result["payment"], "pay")
    assert await deliver_webhooks(app) == 1
    [mail] = [m for m in await outbox(app) if m.recipient == "koper@example.nl"]
    found = LINK.search(mail.body)
    assert found is not None, mail.body
    assert "bewijs van betaling" in mail.body
    return found.group(1)


async def test_a_paid_purchase_mails_a_link_to_the_sealed_extract(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await add_company(app, kvk_number=KVK)
    result = await buy(client, buy_input())

    assert result["__typename"] == "BuyCertifiedExtractPayload", result
    assert result["order"]["status"] == "AWAITING_PAYMENT"
    assert result["order"]["paymentMethod"] == "IDEAL"
    assert result["payment"]["amountCents"] == result["order"]["priceCents"]
    assert "bewijs van betaling" in result["message"]
    assert await outbox(app) == []  # nothing before the money

    await press(app, result["payment"], "pay")
    assert await deliver_webhooks(app) == 1

    [mail] = await outbox(app)
    assert mail.recipient == "koper@example.nl"
    found = LINK.search(mail.body)
    assert found is not None
    document = await client.get(found.group(1))
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    seal = development_seal(app.state.deps.settings.data_dir, now=app.state.deps.clock.now())
    valid = await anyio.to_thread.run_sync(
        lambda: validate_signed_pdf(document.content, seal.certificate)
    )
    assert valid
    async with app.state.deps.db.read() as session:
        order = (await session.execute(select(Order))).scalar_one()
    assert order.status == "DELIVERED" and order.account_id is None
    assert order.sealed_email and "koper" not in order.sealed_email


@sqlite_only
async def test_a_cancelled_payment_cancels_the_order_and_mails_nothing(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await add_company(app, kvk_number=KVK)
    result = await buy(client, buy_input())

    await press(app, result["payment"], "cancel")
    await deliver_webhooks(app)

    async with app.state.deps.db.read() as session:
        order = (await session.execute(select(Order))).scalar_one()
    assert order.status == "CANCELLED" and order.file_id is None
    assert await outbox(app) == []


@sqlite_only
async def test_the_link_works_a_number_of_times_then_answers_like_a_missing_document(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    path = await bought_and_paid(app, client)
    allowed = app.state.deps.settings.extract_link_downloads

    answers = [(await client.get(path)).status_code for _ in range(allowed + 1)]
    missing = await client.get("/uittreksel/" + "A" * 43)

    assert answers == [200] * allowed + [404]
    assert missing.status_code == 404
    assert (await client.get(path)).content == missing.content


@sqlite_only
async def test_an_expired_link_answers_like_a_missing_document(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    path = await bought_and_paid(app, client)

    clock.advance(hours=app.state.deps.settings.extract_link_hours, seconds=1)

    assert (await client.get(path)).status_code == 404


@sqlite_only
async def test_during_maintenance_a_purchase_is_refused(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await add_company(app, kvk_number=KVK)
    await open_window(app, clock)

    result = await buy(client, buy_input())

    assert result["__typename"] == "MaintenanceInProgress"
    async with app.state.deps.db.read() as session:
        assert (await session.execute(select(Order))).first() is None


@sqlite_only
async def test_bad_input_names_the_field_and_unknown_companies_are_not_found(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await add_company(app, kvk_number=KVK)
    cases = [
        (buy_input(email="geen-adres"), ["email"]),
        (buy_input(kvkNumber="12"), ["kvkNumber"]),
        (buy_input(returnUrl="https://evil.example/"), ["returnUrl"]),
    ]
    for the_input, field in cases:
        result = await buy(client, the_input)
        assert result["__typename"] == "InvalidInput", the_input
        assert [p["field"] for p in result["problems"]] == [field]
    unknown = await buy(client, buy_input(kvkNumber="99999999"))
    assert (unknown["__typename"], unknown["field"]) == ("NotFound", ["kvkNumber"])


@sqlite_only
async def test_purchases_are_throttled_per_address(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await add_company(app, kvk_number=KVK)

    bodies = [await gql(client, BUY, {"input": buy_input()}) for _ in range(6)]

    kinds = [b["data"]["buyCertifiedExtract"]["__typename"] for b in bodies[:5]]
    assert kinds == ["BuyCertifiedExtractPayload"] * 5
    assert bodies[5]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@sqlite_only
async def test_a_replay_with_the_same_key_answers_the_first_purchase(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await add_company(app, kvk_number=KVK)
    the_input = buy_input()

    first = await buy(client, the_input)
    again = await buy(client, the_input)
    other = await buy(client, {**the_input, "method": "CREDIT_CARD"})

    assert again["order"]["reference"] == first["order"]["reference"]
    assert again["payment"]["id"] == first["payment"]["id"]
    assert other["__typename"] == "IdempotencyKeyReused"
