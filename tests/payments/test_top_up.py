"""Topping up the balance through the payment provider (SPEC §3.3): the balance rises only
when the provider confirms; the payment is readable by its owner only; return URLs stay on
the app's own origins; an idempotency key makes a retry answer the first payment."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.outbox import OutboxMessage
from tests.payments.support import (
    TOP_UP,
    assert_ledger_holds,
    balance,
    deliver_webhooks,
    pay,
    press,
    private_client,
    read_payment,
    sqlite_only,
    started_payment,
    top_up,
    top_up_input,
)
from tests.support.api import gql, http_client, make_settings, outbox, running_app
from tests.support.factories import add_account, add_company, log_in


def _mails(messages: list[OutboxMessage], to: str) -> list[OutboxMessage]:
    return [m for m in messages if m.recipient == to]


async def test_a_top_up_raises_the_balance_only_when_the_provider_confirms_it(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        # given: a top-up started
        payment = await started_payment(client, 2500)
        assert payment["status"] == "OPEN" and payment["purpose"] == "TOP_UP"
        assert payment["paymentUrl"].startswith("http://127.0.0.1:8000/sandbox/checkout/")
        assert (await balance(client))["balanceCents"] == 0

        # when: the payer pays; the balance waits for the webhook
        await press(app, payment, "pay")
        assert (await balance(client))["balanceCents"] == 0
        assert await deliver_webhooks(app) == 1

        # then
        read = await read_payment(client, payment["id"])
        assert read["status"] == "PAID" and read["paymentUrl"] is None
        assert read["settledAt"] is not None
        now = await balance(client)
        assert (now["balanceCents"], now["heldCents"], now["availableCents"]) == (2500, 0, 2500)
        [entry] = [edge["node"] for edge in now["transactions"]["edges"]]
        assert (entry["kind"], entry["amountCents"], entry["heldDeltaCents"]) == (
            "TOP_UP",
            2500,
            0,
        )
        [mail] = [m for m in await outbox(app) if m.template == "top_up_received"]
        assert "25,00" in mail.body
        assert mail.recipient == "piet@example.nl"
    await assert_ledger_holds(app)


async def test_a_client_reading_the_payment_after_the_return_sees_the_outcome_before_the_webhook(
    app: Starlette, clock: FrozenClock
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")

        read = await read_payment(client, payment["id"])

        assert read["status"] == "PAID"
        assert (await balance(client))["balanceCents"] == 1000
        assert await deliver_webhooks(app) == 1  # the webhook later changes nothing
        assert (await balance(client))["balanceCents"] == 1000


async def test_a_cancelled_or_failed_payment_leaves_the_balance_as_it_was(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        for decision, status in (("cancel", "CANCELED"), ("fail", "FAILED")):
            payment = await started_payment(client, 1000)
            await press(app, payment, decision)
            assert await deliver_webhooks(app) == 1

            assert (await read_payment(client, payment["id"]))["status"] == status
        assert (await balance(client))["balanceCents"] == 0


@sqlite_only
async def test_a_payment_is_readable_by_its_own_account_only(app: Starlette) -> None:
    async with (
        private_client(app) as owner,
        private_client(app, email="kees@example.nl") as other,
    ):
        payment = await started_payment(owner, 1000)

        assert (await read_payment(owner, payment["id"]))["id"] == payment["id"]
        assert await read_payment(other, payment["id"]) is None
        async with http_client(app) as anonymous:
            assert await read_payment(anonymous, payment["id"]) is None


@sqlite_only
async def test_amounts_outside_the_limits_are_refused_naming_the_field(app: Starlette) -> None:
    async with private_client(app) as client:
        for amount, limit in ((499, "5,00"), (100_001, "1.000,00"), (0, "5,00"), (-500, "5,00")):
            result = await top_up(client, amount)
            assert result["__typename"] == "InvalidInput", amount
            [only] = result["problems"]
            assert only["field"] == ["amountCents"] and limit in only["message"]
        assert (await balance(client))["balanceCents"] == 0


OUTSIDE = (
    "https://evil.example/betaald",
    "http://127.0.0.1:5173.evil.example/x",
    "http://127.0.0.1:5173@evil.example/x",
    "http://127.0.0.1:51730/x",
    "https://127.0.0.1:5173/x",
    "javascript:alert(1)",
    "//evil.example/",
    "toegangapp://other",
)


@sqlite_only
async def test_a_return_url_outside_the_allowed_origins_and_prefixes_is_refused(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        for url in OUTSIDE:
            result = await top_up(client, 1000, returnUrl=url)
            assert result["__typename"] == "InvalidInput", url
            assert [p["field"] for p in result["problems"]] == [["returnUrl"]]
        assert (await balance(client))["transactions"]["edges"] == []


@sqlite_only
async def test_return_urls_on_an_allowed_origin_or_app_prefix_are_used_and_the_default_is_the_own_page(
    database_url: str, tmp_path: object, clock: FrozenClock
) -> None:
    from pathlib import Path

    settings = make_settings(
        database_url,
        Path(str(tmp_path)) / "data",
        return_url_prefixes=("nl.kvk.toegang://betaling/",),
    )
    async with running_app(settings, clock) as app, private_client(app) as client:
        for url in ("http://127.0.0.1:5173/saldo?betaling=1", "nl.kvk.toegang://betaling/klaar"):
            result = await top_up(client, 1000, returnUrl=url)
            assert result["__typename"] == "TopUpPayload", result
        default = await started_payment(client, 1000)
        async with http_client(app) as browser:
            page = await browser.get("/sandbox/checkout/" + default["paymentUrl"].rsplit("/", 1)[1])
            token = page.text.split('name="token" value="')[1].split('"')[0]
            answer = await browser.post(
                "/sandbox/checkout/" + default["paymentUrl"].rsplit("/", 1)[1],
                data={"token": token, "decision": "cancel"},
            )
            location = answer.headers["location"]
            assert location.startswith("http://127.0.0.1:8000/betaling/")
            # The return page shows the outcome (it asks the provider itself).
            shown = await browser.get(location.removeprefix("http://127.0.0.1:8000"))
            assert shown.status_code == 200
            assert "niet gelukt (geannuleerd)" in shown.text


async def test_the_same_key_answers_the_first_payment_and_other_input_is_refused(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        first_input = top_up_input(1500)
        first = await gql(client, TOP_UP, {"input": first_input})
        again = await gql(client, TOP_UP, {"input": first_input})
        other = await gql(client, TOP_UP, {"input": {**first_input, "amountCents": 1600}})

        assert again["data"] == first["data"]
        reused = other["data"]["topUp"]
        assert reused["__typename"] == "IdempotencyKeyReused"
        assert reused["field"] == ["idempotencyKey"]


async def test_twenty_requests_with_one_key_at_once_make_one_payment(app: Starlette) -> None:
    async with private_client(app) as client:
        the_input = top_up_input(2000)

        bodies = await asyncio.gather(
            *(gql(client, TOP_UP, {"input": the_input}) for _ in range(20))
        )

        assert all("errors" not in body for body in bodies), bodies
        results = [body["data"]["topUp"] for body in bodies]
        payloads = [r for r in results if r["__typename"] == "TopUpPayload"]
        others = [r["__typename"] for r in results if r["__typename"] != "TopUpPayload"]
        assert set(others) <= {"IdempotencyKeyInProgress"}
        assert payloads and len({r["payment"]["id"] for r in payloads}) == 1
        # Asked again once the first finished, every one gets the first payment.
        settled = await gql(client, TOP_UP, {"input": the_input})
        assert settled["data"]["topUp"]["payment"]["id"] == payloads[0]["payment"]["id"]
        async with app.state.deps.db.read() as session:
            from sqlalchemy import func, select

            from gql.models.payments import Payment

            assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_private_account_on_direct_debit_cannot_top_up_but_a_confirmed_one_still_credits(
    app: Starlette,
) -> None:
    from tests.payments.test_payment_method import CHANGE, mandate_input

    async with private_client(app) as client:
        # given: a top-up started while paying from the balance
        payment = await started_payment(client, 1200)
        switched = await gql(client, CHANGE, {"input": mandate_input()})
        assert switched["data"]["changePaymentMethod"]["__typename"] == "ChangePaymentMethodPayload"

        # when
        refused = await top_up(client, 1000)
        await press(app, payment, "pay")
        await deliver_webhooks(app)

        # then
        assert refused["__typename"] == "InvalidState"
        assert (await balance(client))["balanceCents"] == 1200


@sqlite_only
async def test_business_and_staff_accounts_have_no_balance(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await add_company(app)
    code = await add_account(
        app, usage="BUSINESS", email="bob@testbedrijf.example", kvk_number="12345678"
    )
    assert (await log_in(client, code))["__typename"] == "LogInPayload"

    body = await gql(client, TOP_UP, {"input": top_up_input()})
    read = await gql(client, "{ balance { balanceCents } }")

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@sqlite_only
async def test_without_signing_in_nothing_about_money_is_readable(
    client: httpx.AsyncClient,
) -> None:
    body = await gql(client, TOP_UP, {"input": top_up_input()})
    read = await gql(client, "{ balance { balanceCents } }")

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert read["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@sqlite_only
async def test_a_payment_left_open_expires_and_never_credits(
    app: Starlette, clock: FrozenClock
) -> None:
    from gql.psp import sandbox

    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        clock.advance(minutes=app.state.deps.settings.psp_payment_minutes, seconds=1)

        assert await sandbox.expire_payments(app.state.deps) == 1
        assert await deliver_webhooks(app) == 1

        assert (await read_payment(client, payment["id"]))["status"] == "EXPIRED"
        assert (await balance(client))["balanceCents"] == 0


@sqlite_only
async def test_transactions_are_paged_newest_first(app: Starlette, clock: FrozenClock) -> None:
    async with private_client(app) as client:
        for cents in (500, 600, 700):
            await pay(app, client, cents)
            clock.advance(minutes=1)

        first = await balance(client, first=2)
        page = first["transactions"]
        rest = await balance(client, first=2, after=page["pageInfo"]["endCursor"])

        assert [e["node"]["amountCents"] for e in page["edges"]] == [700, 600]
        assert page["pageInfo"]["hasNextPage"] is True
        assert [e["node"]["amountCents"] for e in rest["transactions"]["edges"]] == [500]
        assert first["balanceCents"] == 1800
