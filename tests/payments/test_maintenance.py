"""Top-ups during a maintenance window (seed: the maintenance paragraph): a new top-up is
refused with the notice and the end time; a payment confirmed during the window still
credits the balance; a replay of a completed key answers its first result; reads and
refunds keep working."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.service import MaintenanceWindow
from tests.payments.support import (
    TOP_UP,
    balance,
    deliver_webhooks,
    pay,
    press,
    private_client,
    request_refund,
    sqlite_only,
    started_payment,
    top_up,
    top_up_input,
)
from tests.support.api import gql

NOTICE_NL = "Onderhoud aan de betaalkoppeling."


async def open_window(app: Starlette, clock: FrozenClock) -> datetime:
    """A window from now for two hours; returns its end."""
    now = clock.now()
    ends = now + timedelta(hours=2)
    async with app.state.deps.db.write() as session:
        session.add(
            MaintenanceWindow(
                starts_at=now - timedelta(minutes=1),
                ends_at=ends,
                notice_nl=NOTICE_NL,
                notice_en="Maintenance of the payment link.",
                created_at=now - timedelta(days=1),
            )
        )
        await session.commit()
    return ends


@sqlite_only
async def test_during_a_window_a_top_up_is_refused_with_the_notice_and_its_end(
    app: Starlette, clock: FrozenClock
) -> None:
    async with private_client(app) as client:
        ends = await open_window(app, clock)

        result = await top_up(client, 1000)

        assert result["__typename"] == "MaintenanceInProgress"
        assert result["notice"] == NOTICE_NL
        assert datetime.fromisoformat(result["endsAt"]) == ends
        assert result["code"] == "MAINTENANCE_IN_PROGRESS"


async def test_a_payment_confirmed_during_a_window_still_credits_and_a_replay_answers_it(
    app: Starlette, clock: FrozenClock
) -> None:
    async with private_client(app) as client:
        # given: a top-up started before the window
        the_input = top_up_input(1500)
        first = (await gql(client, TOP_UP, {"input": the_input}))["data"]["topUp"]
        await open_window(app, clock)

        # when: paid during the window; the client retries with the same key
        await press(app, first["payment"], "pay")
        assert await deliver_webhooks(app) == 1
        replay = (await gql(client, TOP_UP, {"input": the_input}))["data"]["topUp"]

        # then
        assert (await balance(client))["balanceCents"] == 1500
        assert replay["__typename"] == "TopUpPayload"
        assert replay["payment"]["id"] == first["payment"]["id"]
        assert replay["payment"]["status"] == "PAID"


@sqlite_only
async def test_reads_and_refunds_keep_working_during_a_window(
    app: Starlette, clock: FrozenClock
) -> None:
    async with private_client(app) as client:
        await pay(app, client, 3000)
        payment = await started_payment(client, 1000)
        await open_window(app, clock)

        refund = await request_refund(client, 1000)
        await press(app, payment, "cancel")
        await deliver_webhooks(app)

        assert refund["__typename"] == "RequestRefundPayload"
        now = await balance(client)
        assert (now["balanceCents"], now["heldCents"]) == (3000, 1000)
