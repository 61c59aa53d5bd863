"""The sandbox payment provider end to end: start, the checkout page, the decision, the
webhook over HTTP (to an in-process receiver that verifies it), retries and expiry."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.psp import sandbox as sandbox_module
from gql.psp.port import ProviderStatus
from tests.psp.support import (
    IBAN,
    RETURN_URL,
    Receiver,
    checkout_path,
    decide,
    provider,
    sandbox,
    start,
    stored_payment,
    webhooks,
)


async def test_paying_with_a_valid_iban_makes_the_payment_paid_with_its_payer_and_queues_a_webhook(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given
    started = await start(app)

    # when
    response = await decide(
        client, started, "pay", iban="nl91 abna 0417 1643 00", name=" A. Betaler "
    )

    # then
    assert response.status_code == 303
    assert response.headers["location"] == RETURN_URL
    status = await provider(app).get_status(started.provider_id)
    assert status is not None
    assert status.status is ProviderStatus.PAID
    assert status.paid_at == clock.now()
    assert (status.payer_iban, status.payer_name) == (IBAN, "A. Betaler")
    [webhook] = await webhooks(app)
    assert webhook.provider_id == started.provider_id
    assert webhook.delivered_at is None and webhook.next_attempt_at == clock.now()


async def test_a_queued_webhook_is_delivered_once_and_signed(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: a paid payment, and the app's webhook (which verifies the signature)
    started = await start(app)
    await decide(client, started, "pay", iban=IBAN, name="A. Betaler")
    receiver = Receiver(provider(app), clock)

    # when: the worker runs twice
    async with receiver.client() as http:
        first = await sandbox_module.deliver_webhooks(app.state.deps, http)
        second = await sandbox_module.deliver_webhooks(app.state.deps, http)

    # then
    assert (first, second) == (1, 0)
    assert receiver.delivered == [started.provider_id]
    assert receiver.refused == []
    [headers] = receiver.headers
    assert headers["x-sandbox-timestamp"] == str(int(clock.now().timestamp()))
    assert len(headers["x-sandbox-signature"]) == 64
    [webhook] = await webhooks(app)
    assert webhook.delivered_at == clock.now()
    assert (webhook.attempts, webhook.next_attempt_at, webhook.last_error) == (1, None, None)


async def test_a_webhook_the_app_refuses_is_tried_again_after_a_backoff_and_then_delivered(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: the app answers 500 the first time
    started = await start(app)
    await decide(client, started, "cancel")
    receiver = Receiver(provider(app), clock, failures=1)

    async with receiver.client() as http:
        # when
        failed = await sandbox_module.deliver_webhooks(app.state.deps, http)
        [after_failure] = await webhooks(app)
        clock.advance(seconds=4)
        too_early = await sandbox_module.deliver_webhooks(app.state.deps, http)
        clock.advance(seconds=1)
        retried = await sandbox_module.deliver_webhooks(app.state.deps, http)

    # then
    assert (failed, too_early, retried) == (0, 0, 1)
    assert after_failure.attempts == 1 and after_failure.last_error == "HTTP 500"
    assert after_failure.next_attempt_at == clock.now()  # 5 s after the first attempt
    assert receiver.delivered == [started.provider_id]
    assert len(receiver.headers) == 2  # both calls were signed and verified
    [webhook] = await webhooks(app)
    assert webhook.attempts == 2 and webhook.delivered_at == clock.now()


async def test_two_workers_at_once_deliver_each_webhook_once(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: three decided payments
    started = [await start(app) for _ in range(3)]
    for payment in started:
        await decide(client, payment, "fail")
    receiver = Receiver(provider(app), clock)

    # when
    async with receiver.client() as http:
        counts = await asyncio.gather(
            sandbox_module.deliver_webhooks(app.state.deps, http),
            sandbox_module.deliver_webhooks(app.state.deps, http),
        )

    # then
    assert sum(counts) == 3
    assert sorted(receiver.delivered) == sorted(p.provider_id for p in started)


def test_the_retry_delay_starts_at_five_seconds_and_doubles_up_to_ten_minutes() -> None:
    delays = [sandbox_module.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [5, 10, 20, 40, 80, 160, 320, 600, 600]


async def test_a_paid_payment_stays_paid_after_another_decision_and_after_its_expiry(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: a paid payment, and the form of its page still open in another tab
    started = await start(app)
    stale_tab = await decide(client, started, "pay", iban=IBAN, name="A. Betaler")
    assert stale_tab.status_code == 303
    token = sandbox_payment_token(app, started.provider_id)

    # when
    again = await client.post(checkout_path(started), data={"token": token, "decision": "fail"})
    clock.advance(minutes=16)
    expired = await sandbox_module.expire_payments(app.state.deps)
    status = await provider(app).get_status(started.provider_id)

    # then
    assert again.status_code == 404
    assert expired == 0
    assert status is not None and status.status is ProviderStatus.PAID
    assert status.payer_iban == IBAN
    assert len(await webhooks(app)) == 1


async def test_cancel_and_fail_are_final_and_queue_their_webhook(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given
    canceled, failed = await start(app), await start(app)

    # when: no IBAN needed to cancel or fail
    responses = [await decide(client, canceled, "cancel"), await decide(client, failed, "fail")]
    clock.advance(minutes=16)
    await sandbox_module.expire_payments(app.state.deps)

    # then
    assert [r.status_code for r in responses] == [303, 303]
    assert {r.headers["location"] for r in responses} == {RETURN_URL}
    for started, final in ((canceled, ProviderStatus.CANCELED), (failed, ProviderStatus.FAILED)):
        status = await provider(app).get_status(started.provider_id)
        assert status is not None
        assert (status.status, status.paid_at, status.payer_iban) == (final, None, None)
        assert (await client.get(checkout_path(started))).status_code == 404
    assert [w.provider_id for w in await webhooks(app)] == [
        canceled.provider_id,
        failed.provider_id,
    ]


async def test_an_expired_payment_cannot_be_paid_and_reports_expired(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: the payer opened the page, then waited too long
    started = await start(app)
    token = sandbox_payment_token(app, started.provider_id)
    clock.advance(minutes=15)

    # when
    response = await client.post(
        checkout_path(started),
        data={"token": token, "decision": "pay", "iban": IBAN, "name": "A. Betaler"},
    )
    expired = await sandbox_module.expire_payments(app.state.deps)

    # then
    assert response.status_code == 404
    assert expired == 1
    status = await provider(app).get_status(started.provider_id)
    assert status is not None
    assert (status.status, status.paid_at, status.payer_iban) == (
        ProviderStatus.EXPIRED,
        None,
        None,
    )
    assert [w.provider_id for w in await webhooks(app)] == [started.provider_id]


async def test_asking_the_status_of_a_payment_past_its_expiry_stores_it_expired(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    started = await start(app)
    clock.advance(minutes=15)

    # when: the app asks before the expiry job ran
    status = await provider(app).get_status(started.provider_id)

    # then: stored, with its webhook, so the job has nothing left to do
    assert status is not None and status.status is ProviderStatus.EXPIRED
    assert (await stored_payment(app, started.provider_id)).status is ProviderStatus.EXPIRED
    assert len(await webhooks(app)) == 1
    assert await sandbox_module.expire_payments(app.state.deps) == 0


def sandbox_payment_token(app: Starlette, provider_id: str) -> str:
    """The form token of a payment's checkout page (as a tab opened earlier holds it)."""
    return sandbox(app).form_token(provider_id)
