"""The monthly run (SPEC §3.4): one invoice per payer for its direct-debit orders of the
month, one line per order, due in 28 days; started by the worker, by staff and by the
command; a rerun, also one at the same moment elsewhere, issues only what is missing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.db import Database
from gql.models.invoices import InvoiceRun
from gql.models.orders import Order
from gql.services.invoices import monthly
from tests.invoices.support import (
    INVOICES,
    KVK,
    NOVEMBER,
    OCTOBER,
    add_dd_order,
    amsterdam,
    edges,
    invoices_in_db,
    lines_in_db,
    private_on_direct_debit,
    run,
    signed_in,
)
from tests.orders.support import organisation
from tests.payments.support import sqlite_only
from tests.support.api import gql
from tests.support.backoffice import audit_rows
from tests.support.live import free_port, run_toegang, server_env

RUN = """
mutation Run($input: StaffRunInvoicesInput!) {
  staffRunInvoices(input: $input) {
    __typename
    ... on StaffRunInvoicesPayload { run { month status source issued } message }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""
RUNS = "query { staff { invoiceRuns { edges { node { month status source issued } } } } }"


async def _two_payers(app: Starlette, clock: FrozenClock) -> dict[str, str]:
    """An organisation with orders of two codes and a private account, all in October."""
    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    codes["private"] = await private_on_direct_debit(app)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 3))
    await add_dd_order(app, codes["second"], placed_at=amsterdam(2026, 10, 20), price_cents=700)
    # The last second of October in Amsterdam.
    await add_dd_order(
        app,
        codes["private"],
        placed_at=amsterdam(2026, 11, 1, 0, 0) - timedelta(seconds=1),
        price_cents=350,
    )
    return codes


async def test_one_invoice_per_payer_with_a_line_per_order_due_in_28_days_on_its_mandate(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    codes = await _two_payers(app, clock)
    clock.set(amsterdam(2026, 11, 1, 1))
    # when
    issued = await run(app, OCTOBER)
    # then
    assert issued == 2
    business, private = await invoices_in_db(app)
    assert (business.payer_kvk_number, business.total_cents) == (KVK, 1195 + 700)
    assert (private.payer_account_id is not None, private.total_cents) == (True, 350)
    assert [b.number for b in (business, private)] == ["2026-000001", "2026-000002"]
    assert business.issue_date == date(2026, 11, 1)
    assert business.due_date == date(2026, 11, 29)
    assert business.month == OCTOBER
    assert business.mandate_reference and business.mandate_reference.startswith("TOEGANG-")
    assert business.iban_masked == "NL91 **** **** 4300"
    assert len(await lines_in_db(app)) == 3
    async with app.state.deps.db.read() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Order).where(Order.invoice_id.is_(None))  # type: ignore[union-attr]
            )
            == 0
        )
    # the main user sees the organisation's invoice with both codes' orders
    async with signed_in(app, codes["main"]) as main:
        [seen] = edges(await gql(main, INVOICES))
    assert seen["kind"] == "MONTHLY_DIRECT_DEBIT" and seen["status"] == "OPEN"
    assert seen["month"] == "2026-10" and seen["collectionDate"] == "2026-11-29"
    assert [line["amountCents"] for line in seen["lines"]] == [1195, 700]
    assert seen["lines"][0]["companyName"] == "Testbedrijf B.V."
    assert seen["deliveryChannel"] == "POST"


async def test_the_run_twice_and_twice_at_once_issues_nothing_the_second_time(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    await _two_payers(app, clock)
    clock.set(amsterdam(2026, 11, 1, 1))
    deps = app.state.deps
    # A second process: its own engine and connections on the same database.
    other = replace(deps, db=Database(deps.settings.database_url))
    try:
        # when: two runs at the same moment, then a third
        together = await asyncio.gather(
            monthly.run_month(deps, month=OCTOBER), monthly.run_month(other, month=OCTOBER)
        )
        again = await run(app, OCTOBER)
    finally:
        await other.db.dispose()
    # then
    assert sorted(together) in ([0, 2], [1, 1])
    assert again == 0
    invoices = await invoices_in_db(app)
    assert [i.number for i in invoices] == ["2026-000001", "2026-000002"]
    assert len(await lines_in_db(app)) == 3


async def test_an_order_placed_after_the_month_ended_goes_on_the_next_months_invoice(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: an October order, and one placed just after midnight (Amsterdam) on 1 November
    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    october = await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 31, 23, 59))
    november = await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 11, 1, 0, 0))
    clock.set(amsterdam(2026, 11, 1, 0, 30))
    # when
    first = await run(app, OCTOBER)
    clock.set(amsterdam(2026, 12, 1, 0, 30))
    second = await run(app, NOVEMBER)
    # then
    assert (first, second) == (1, 1)
    oct_invoice, nov_invoice = await invoices_in_db(app)
    lines = await lines_in_db(app)
    assert [(line.invoice_id, line.order_id) for line in lines] == [
        (oct_invoice.id, october),
        (nov_invoice.id, november),
    ]
    assert (oct_invoice.month, nov_invoice.month) == (OCTOBER, NOVEMBER)


@sqlite_only
async def test_the_worker_runs_last_month_by_itself_once(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    await _two_payers(app, clock)
    job = monthly.MonthlyInvoicing(app.state.deps)
    assert await job() == 1  # September's run: nothing to invoice
    assert await invoices_in_db(app) == []
    # when: October has ended
    clock.set(amsterdam(2026, 11, 1, 0, 5))
    done = await job()
    again = await job()
    # then
    assert (done, again) == (1, 0)
    assert len(await invoices_in_db(app)) == 2
    async with app.state.deps.db.read() as session:
        runs = list((await session.execute(select(InvoiceRun).order_by(InvoiceRun.id))).scalars())
    assert [(r.month, r.status, r.source, r.issued) for r in runs] == [
        (date(2026, 9, 1), "DONE", "WORKER", 0),
        (OCTOBER, "DONE", "WORKER", 2),
    ]


@sqlite_only
async def test_staff_queue_a_run_that_the_worker_does_and_only_for_an_ended_month(
    app: Starlette, clock: FrozenClock, staff: httpx.AsyncClient
) -> None:
    # given
    await _two_payers(app, clock)
    clock.set(amsterdam(2026, 11, 2, 9))
    # when
    queued = await gql(staff, RUN, {"input": {"month": "2026-10"}})
    twice = await gql(staff, RUN, {"input": {"month": "2026-10"}})
    early = await gql(staff, RUN, {"input": {"month": "2026-11"}})
    wrong = await gql(staff, RUN, {"input": {"month": "oktober"}})
    # then: answered at once, nothing issued before a worker takes it
    assert queued["data"]["staffRunInvoices"]["run"] == {
        "month": "2026-10",
        "status": "PENDING",
        "source": "STAFF",
        "issued": 0,
    }
    assert twice["data"]["staffRunInvoices"]["run"]["status"] == "PENDING"
    assert await invoices_in_db(app) == []
    for refused, message in ((early, "niet voorbij"), (wrong, "JJJJ-MM")):
        answer = refused["data"]["staffRunInvoices"]
        assert answer["__typename"] == "InvalidInput"
        assert answer["problems"][0]["field"] == ["month"]
        assert message in answer["problems"][0]["message"]
    assert [e.action for e in await audit_rows(app)] == ["invoice_run.requested"] * 2
    # when: the worker's round
    assert await monthly.process_requested_runs(app.state.deps) == 1
    # then
    runs = await gql(staff, RUNS)
    assert [e["node"] for e in runs["data"]["staff"]["invoiceRuns"]["edges"]] == [
        {"month": "2026-10", "status": "DONE", "source": "STAFF", "issued": 2}
    ]
    assert len(await invoices_in_db(app)) == 2


@sqlite_only
async def test_a_run_left_by_a_worker_that_died_is_taken_over_after_its_lease(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: a run taken by a worker that died before it finished
    await _two_payers(app, clock)
    clock.set(amsterdam(2026, 11, 1, 1))
    deps = app.state.deps
    await monthly.ensure_requested(deps, month=OCTOBER, now=clock.now())
    assert await monthly.claim_run(deps, "died") is not None
    # when: another worker, before and after the lease ran out
    before = await monthly.process_requested_runs(deps)
    clock.advance(minutes=11)
    after = await monthly.process_requested_runs(deps)
    # then
    assert (before, after) == (0, 1)
    assert len(await invoices_in_db(app)) == 2


@sqlite_only
async def test_toegang_invoice_run_invoices_a_month_that_has_ended(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: a direct-debit order of January 2025 (the command runs on the real clock)
    clock.set(amsterdam(2025, 1, 2, 9))
    codes = await organisation(app)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2025, 1, 10))
    settings = app.state.deps.settings
    env = server_env(
        database_url=settings.database_url, data_dir=settings.data_dir, port=free_port()
    )
    # when
    done = await asyncio.to_thread(run_toegang, ["invoice-run", "--month", "2025-01"], env)
    # then
    assert "2025-01: 1 invoice(s) issued" in done.stdout
    [invoice] = await invoices_in_db(app)
    assert (invoice.month, invoice.payer_kvk_number) == (date(2025, 1, 1), KVK)
    async with app.state.deps.db.read() as session:
        [recorded] = list((await session.execute(select(InvoiceRun))).scalars())
    assert (recorded.source, recorded.status, recorded.issued) == ("COMMAND", "DONE", 1)
