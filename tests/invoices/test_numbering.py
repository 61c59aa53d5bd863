"""Invoice numbers (SPEC §3.4): per year of issue in Europe/Amsterdam from YYYY-000001,
without gaps, also when many are issued at once and from several processes."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.services.invoices import top_ups
from gql.settings import Settings
from tests.invoices.processes import issue_in_this_process
from tests.invoices.support import (
    account_id,
    add_paid_top_ups,
    amsterdam,
    invoices_in_db,
)
from tests.payments.support import sqlite_only
from tests.support.factories import add_account


def _consecutive(numbers: list[str], year: int, count: int) -> bool:
    return sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, count + 1)]


@sqlite_only
async def test_two_hundred_invoices_issued_at_once_get_two_hundred_consecutive_numbers(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: 200 confirmed top-ups of ten accounts, none invoiced yet
    clock.set(amsterdam(2026, 6, 1))
    payments: list[int] = []
    for n in range(10):
        pk = await account_id(app, await add_account(app, email=f"klant{n}@example.nl"))
        payments += await add_paid_top_ups(app, pk, [500 + i for i in range(20)])
    # when: all issued at the same moment
    issued = await asyncio.gather(
        *(top_ups.issue_top_up_invoice(app.state.deps, payment_id=pk) for pk in payments)
    )
    # then
    numbers = [invoice.number for invoice in issued if invoice is not None]
    assert len(numbers) == 200
    assert _consecutive(numbers, 2026, 200)
    stored = await invoices_in_db(app)
    assert sorted(i.number for i in stored) == sorted(numbers)
    assert {i.payment_id for i in stored} == set(payments)


# Across processes on the database that several app hosts share (the test above is SQLite's).
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_four_processes_issuing_fifty_each_get_two_hundred_consecutive_numbers(
    app: Starlette, settings: Settings, tmp_path: Path
) -> None:
    # given: 200 confirmed top-ups, none invoiced yet
    payments: list[int] = []
    for n in range(4):
        pk = await account_id(app, await add_account(app, email=f"klant{n}@example.nl"))
        payments += await add_paid_top_ups(app, pk, [500 + i for i in range(50)])
    shares = [payments[n::4] for n in range(4)]
    # when: four processes issue fifty each, all at once, against the same database
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.invoices.processes"])
    with ProcessPoolExecutor(4, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool,
                    issue_in_this_process,
                    settings.database_url,
                    str(tmp_path / f"data{n}"),
                    share,
                )
                for n, share in enumerate(shares)
            )
        )
    # then: every process issued its fifty, and together they are 1..200 without a gap
    assert [len(numbers) for numbers in results] == [50, 50, 50, 50]
    year = (await invoices_in_db(app))[0].year
    assert _consecutive([n for numbers in results for n in numbers], year, 200)


async def test_the_first_invoice_of_a_new_year_in_amsterdam_is_number_one_of_that_year(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: invoices of 2026, the last one a second before midnight in Amsterdam (22:59:59
    # UTC, still 2026 there as in UTC)
    pk = await account_id(app, await add_account(app))
    first, second, third, fourth = await add_paid_top_ups(app, pk, [500, 600, 700, 800])
    clock.set(amsterdam(2026, 12, 31, 12))
    await top_ups.issue_top_up_invoice(app.state.deps, payment_id=first)
    clock.set(amsterdam(2026, 12, 31, 23, 59))
    await top_ups.issue_top_up_invoice(app.state.deps, payment_id=second)
    # when: midnight in Amsterdam (23:00 UTC on 31 December: still 2026 in UTC)
    clock.set(amsterdam(2027, 1, 1, 0, 0))
    assert clock.now().year == 2026
    new_year = await top_ups.issue_top_up_invoice(app.state.deps, payment_id=third)
    next_one = await top_ups.issue_top_up_invoice(app.state.deps, payment_id=fourth)
    # then
    assert new_year is not None and next_one is not None
    assert [i.number for i in await invoices_in_db(app)] == [
        "2026-000001",
        "2026-000002",
        "2027-000001",
        "2027-000002",
    ]
    assert str(new_year.issue_date) == "2027-01-01"


@sqlite_only
async def test_a_top_up_invoiced_already_is_not_invoiced_again(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    pk = await account_id(app, await add_account(app))
    [payment] = await add_paid_top_ups(app, pk, [2500])
    first = await top_ups.issue_top_up_invoice(app.state.deps, payment_id=payment)
    # when: the sweep, and the same call again at once
    again = await asyncio.gather(
        top_ups.issue_missing_top_up_invoices(app.state.deps, now=clock.now()),
        top_ups.issue_top_up_invoice(app.state.deps, payment_id=payment),
    )
    # then
    assert first is not None and first.number.endswith("-000001")
    assert again == [0, None]
    assert len(await invoices_in_db(app)) == 1
