"""The app's webhook (POST /psp/webhook) and the worker's status calls: a bad signature or a
stale timestamp is refused and changes nothing; a replay, a duplicate or an unknown payment
answers 200 and changes nothing; a PAID payment stays PAID; with every webhook lost, the
worker's status call settles the payment anyway."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select, update
from sqlmodel import col
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.ledger import LedgerEntry
from gql.models.payments import Payment
from gql.models.psp import SandboxPayment, SandboxWebhook
from gql.psp.port import ProviderStatus
from gql.psp.sandbox import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SandboxProvider,
    signed_headers,
)
from gql.services.payments import payments
from tests.payments.support import (
    assert_ledger_holds,
    balance,
    deliver_webhooks,
    press,
    private_client,
    read_payment,
    sqlite_only,
    started_payment,
)
from tests.support.api import http_client


async def provider_id_of(app: Starlette) -> str:
    async with app.state.deps.db.read() as session:
        found = await session.scalar(select(col(SandboxPayment.provider_id)))
    assert found is not None
    return found


async def post_webhook(
    app: Starlette, provider_id: str, *, headers: dict[str, str] | None = None
) -> int:
    body = orjson.dumps({"id": provider_id})
    signed = signed_headers(app.state.deps.settings, body, now=app.state.deps.clock.now())
    async with http_client(app) as provider:
        response = await provider.post(
            "/psp/webhook", content=body, headers={**signed, **(headers or {})}
        )
    return response.status_code


async def stored_status(app: Starlette) -> str:
    """The app's own record of the one payment (reading it over GraphQL would ask the
    provider, which is what these tests keep out)."""
    async with app.state.deps.db.read() as session:
        return str(await session.scalar(select(col(Payment.status))))


async def entries(app: Starlette) -> int:
    async with app.state.deps.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


async def forget_webhooks(app: Starlette) -> None:
    """Every queued webhook is lost on the way (the provider gave up on them)."""
    async with app.state.deps.db.write() as session:
        await session.execute(update(SandboxWebhook).values(next_attempt_at=None))
        await session.commit()


BAD_HEADERS = (
    ({SIGNATURE_HEADER: "0" * 64}, 401),
    ({SIGNATURE_HEADER: ""}, 401),
    ({TIMESTAMP_HEADER: ""}, 400),
)


@sqlite_only
async def test_a_webhook_with_a_bad_signature_or_timestamp_is_refused_and_changes_nothing(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")

        for headers, status in BAD_HEADERS:
            assert await post_webhook(app, await provider_id_of(app), headers=headers) == status

        assert await stored_status(app) == "OPEN"
        assert await entries(app) == 0


@sqlite_only
async def test_a_webhook_signed_more_than_300_seconds_ago_is_refused_and_changes_nothing(
    app: Starlette, clock: FrozenClock
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")
        body = orjson.dumps({"id": await provider_id_of(app)})
        old = signed_headers(
            app.state.deps.settings, body, now=clock.now() - timedelta(seconds=301)
        )

        async with http_client(app) as provider:
            response = await provider.post("/psp/webhook", content=body, headers=old)

        assert response.status_code == 400
        assert await stored_status(app) == "OPEN"
        assert await entries(app) == 0


async def test_a_replayed_or_duplicated_webhook_credits_once_and_an_unknown_one_is_ignored(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")
        provider_id = await provider_id_of(app)

        answers = [await post_webhook(app, provider_id) for _ in range(3)]
        unknown = await post_webhook(app, "tr_sandbox_" + "0" * 24)
        await deliver_webhooks(app)  # the provider's own delivery comes too

        assert answers == [200, 200, 200] and unknown == 200
        assert (await balance(client))["balanceCents"] == 1000
        assert await entries(app) == 1
    await assert_ledger_holds(app)


async def test_a_paid_payment_stays_paid_whatever_the_provider_says_later(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")
        await deliver_webhooks(app)
        provider_id = await provider_id_of(app)

        # when: a (misbehaving) provider reports EXPIRED, then FAILED, for the paid payment
        for later in (ProviderStatus.EXPIRED, ProviderStatus.FAILED, ProviderStatus.OPEN):
            async with app.state.deps.db.write() as session:
                await session.execute(
                    update(SandboxPayment).values(
                        status=later,
                        payer_iban=None,
                        payer_name=None,
                        decided_at=None
                        if later == ProviderStatus.OPEN
                        else SandboxPayment.decided_at,
                    )
                )
                await session.commit()
            assert await post_webhook(app, provider_id) == 200

        # then
        read = await read_payment(client, payment["id"])
        assert read["status"] == "PAID"
        assert (await balance(client))["balanceCents"] == 1000
        assert await entries(app) == 1


async def test_with_every_webhook_lost_the_worker_asks_the_provider_and_settles(
    app: Starlette, clock: FrozenClock
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")
        await forget_webhooks(app)

        # a fresh payment is left alone: its webhook may still come
        assert await payments.reconcile_open_payments(app.state.deps, now=clock.now()) == 0
        clock.advance(minutes=6)
        asked = await payments.reconcile_open_payments(app.state.deps, now=clock.now())
        again = await payments.reconcile_open_payments(app.state.deps, now=clock.now())

        assert (asked, again) == (1, 0)
        assert (await read_payment(client, payment["id"]))["status"] == "PAID"
        assert (await balance(client))["balanceCents"] == 1000
    await assert_ledger_holds(app)


@sqlite_only
async def test_a_provider_that_cannot_answer_the_status_call_gets_503_to_deliver_again(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with private_client(app) as client:
        payment = await started_payment(client, 1000)
        await press(app, payment, "pay")
        provider_id = await provider_id_of(app)

        async def unavailable(*_: object) -> None:
            raise ConnectionError("provider down")

        # The status call fails once, as a provider's API does during an outage.
        with monkeypatch.context() as outage:
            outage.setattr(SandboxProvider, "get_status", unavailable)
            assert await post_webhook(app, provider_id) == 503
        assert await stored_status(app) == "OPEN"
        assert await post_webhook(app, provider_id) == 200
        assert (await read_payment(client, payment["id"]))["status"] == "PAID"


@sqlite_only
async def test_a_webhook_body_too_large_or_not_json_is_refused(app: Starlette) -> None:
    body = b'{"id": "' + b"x" * 20_000 + b'"}'
    async with http_client(app) as provider:
        large = await provider.post(
            "/psp/webhook",
            content=body,
            headers=signed_headers(app.state.deps.settings, body, now=app.state.deps.clock.now()),
        )
        garbage = b"not json"
        bad = await provider.post(
            "/psp/webhook",
            content=garbage,
            headers=signed_headers(
                app.state.deps.settings, garbage, now=app.state.deps.clock.now()
            ),
        )

    assert large.status_code == 413
    assert bad.status_code == 400
