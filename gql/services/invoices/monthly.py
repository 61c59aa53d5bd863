"""The monthly run: once a calendar month, one invoice per payer for its direct-debit orders.

Every direct-debit order still to be invoiced that was placed before the month's end
(Europe/Amsterdam) goes on its payer's invoice of that month, one line per order: an
organisation (business orders, `payer_kvk_number`) or a private account. Each payer is one
transaction. An order committed while the run goes (or placed after the month's end) waits
for the next month's run, which takes every order still open from before its end.

A rerun, also one at the same moment in another process, issues only what is missing: a
payer with an invoice of that month is skipped, the payer's orders are locked while read
(PostgreSQL; SQLite's write transaction serializes), an order is marked invoiced only while
it is not (its row count is checked), and the database has the last word (one invoice per
payer and month; an order on one invoice line only): the loser rolls back, its number with
it, and the run carries on.

Runs are asked for by the worker when a month has ended, by staff (`staffRunInvoices`,
answered at once) and by `toegang invoice-run --month YYYY-MM`; a worker takes what was
asked for under a lease.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.accounts import Account, Usage
from gql.models.invoices import Invoice, InvoiceKind, InvoiceRun, RunSource, RunStatus
from gql.models.mandates import DirectDebitMandate
from gql.models.orders import Order, OrderPayment, OrderStatus, Product
from gql.models.register import Company
from gql.services.invoices import issuing
from gql.services.shared import audit
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidInputError, Problems, raises
from gql.services.shared.formatting import AMSTERDAM, local_date

log = logging.getLogger("toegang.invoices")

#: A worker holds a run this long; after that another worker may take it over.
LEASE = timedelta(minutes=10)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(month: date) -> datetime:
    """The moment the month ends: midnight in Europe/Amsterdam at the next month's start."""
    return datetime.combine(next_month(month), time(0), tzinfo=AMSTERDAM)


def month_text(month: date) -> str:
    return f"{month:%Y-%m}"


def month_field(problems: Problems, field: str, value: str, *, now: datetime) -> date | None:
    """'YYYY-MM' of a month that has ended."""
    try:
        month = datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        problems.add(field, "invoice_month_format")
        return None
    if month_end(month) > now:
        problems.add(field, "invoice_month_not_ended")
        return None
    return month


@dataclass(frozen=True, slots=True)
class Payer:
    kvk_number: str | None
    account_id: int | None


# ---- the run --------------------------------------------------------------------------------


def _open_orders(end: datetime) -> list[Any]:
    return [
        col(Order.payment_method) == OrderPayment.DIRECT_DEBIT,
        col(Order.to_be_invoiced).is_(True),
        col(Order.invoice_id).is_(None),
        col(Order.status) != OrderStatus.CANCELLED,
        col(Order.placed_at) < end,
    ]


async def _payers(deps: Deps, end: datetime) -> list[Payer]:
    async with deps.db.read() as session:
        organisations = (
            await session.execute(
                select(col(Order.payer_kvk_number))
                .where(*_open_orders(end), col(Order.payer_kvk_number).is_not(None))
                .distinct()
                .order_by(col(Order.payer_kvk_number))
            )
        ).scalars()
        found = [Payer(kvk, None) for kvk in organisations]
        accounts = (
            await session.execute(
                select(col(Order.account_id))
                .where(
                    *_open_orders(end),
                    col(Order.payer_kvk_number).is_(None),
                    col(Order.account_id).is_not(None),
                )
                .distinct()
                .order_by(col(Order.account_id))
            )
        ).scalars()
        found += [Payer(None, account_id) for account_id in accounts]
    return found


async def run_month(deps: Deps, *, month: date) -> int:
    """Invoice the month's direct-debit orders, one transaction per payer; returns how many
    invoices this run issued (0 for a month already done)."""
    month = first_of_month(month)
    end = month_end(month)
    issued = 0
    for payer in await _payers(deps, end):
        try:
            issued += await _invoice_payer(deps, payer, month, end)
        except IntegrityError:
            # Another run issued it at the same moment: its invoice stands.
            log.info("invoice run %s: %s invoiced by another run", month_text(month), payer)
        except Exception:
            # One payer's failure keeps no other payer from its invoice; a rerun retries it.
            log.exception("invoice run %s: invoicing %s failed", month_text(month), payer)
    log.info("invoice run %s: %d invoice(s) issued", month_text(month), issued)
    return issued


async def _invoice_payer(deps: Deps, payer: Payer, month: date, end: datetime) -> int:
    now = deps.clock.now()
    async with deps.db.write() as session:
        if payer.kvk_number is not None:
            mine = col(Order.payer_kvk_number) == payer.kvk_number
            done = col(Invoice.payer_kvk_number) == payer.kvk_number
        else:
            mine = (col(Order.account_id) == payer.account_id) & col(Order.payer_kvk_number).is_(
                None
            )
            done = col(Invoice.payer_account_id) == payer.account_id
        if await session.scalar(
            select(col(Invoice.id)).where(done, col(Invoice.month) == month).limit(1)
        ):
            return 0
        orders = list(
            (
                await session.execute(
                    select(Order)
                    .where(*_open_orders(end), mine)
                    .order_by(col(Order.placed_at), col(Order.id))
                    .with_for_update()
                )
            ).scalars()
        )
        if not orders:
            return 0
        lines = await _lines(session, orders, language=await _language(session, payer))
        mandate = await session.get(DirectDebitMandate, orders[-1].mandate_id)
        assert mandate is not None
        if payer.kvk_number is not None:
            who = await issuing.organisation_payer(session, payer.kvk_number)
        else:
            account = await session.get(Account, payer.account_id)
            assert account is not None and account.usage == Usage.PRIVATE
            who = issuing.account_payer(account)
        invoice = await issuing.issue(
            session,
            deps,
            kind=InvoiceKind.MONTHLY_DIRECT_DEBIT,
            payer=who,
            lines=lines,
            now=now,
            month=month,
            mandate=mandate,
        )
        ids = [order.id for order in orders]
        marked = await session.execute(
            update(Order)
            .where(col(Order.id).in_(ids), col(Order.invoice_id).is_(None))
            .values(invoice_id=invoice.id, to_be_invoiced=False)
            .execution_options(synchronize_session=False)
        )
        if int(cast(CursorResult[Any], marked).rowcount or 0) != len(ids):
            # An order went on another invoice meanwhile: leave this payer to that run.
            await session.rollback()
            return 0
        await session.commit()
    return 1


async def _language(session: AsyncSession, payer: Payer) -> str:
    if payer.account_id is not None:
        language = await session.scalar(
            select(Account.language).where(col(Account.id) == payer.account_id)
        )
    else:
        language = await session.scalar(
            select(Account.language).where(
                col(Account.kvk_number) == payer.kvk_number,
                col(Account.is_main_user).is_(True),
                col(Account.active).is_(True),
            )
        )
    return language or "nl"


async def _lines(session: AsyncSession, orders: list[Order], *, language: str) -> list[Any]:
    codes = {order.product_code for order in orders}
    kvks = {order.kvk_number for order in orders}
    products = {
        row.code: row
        for row in (
            await session.execute(
                select(col(Product.code), col(Product.name_nl), col(Product.name_en)).where(
                    col(Product.code).in_(codes)
                )
            )
        ).all()
    }
    companies = dict(
        (
            await session.execute(
                select(col(Company.kvk_number), col(Company.name)).where(
                    col(Company.kvk_number).in_(kvks)
                )
            )
        ).all()
    )
    lines = []
    for order in orders:
        product = products[order.product_code]
        lines.append(
            issuing.NewLine(
                description=product.name_en if language == "en" else product.name_nl,
                service_date=local_date(order.placed_at),
                amount_cents=order.price_cents,
                order_id=order.id,
                order_reference=order.reference,
                product_code=order.product_code,
                kvk_number=order.kvk_number,
                company_name=companies.get(order.kvk_number),
            )
        )
    return lines


# ---- asking for runs and taking them ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    month: date
    status: RunStatus
    source: RunSource
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    issued: int


def _view(run: InvoiceRun) -> RunView:
    assert run.id is not None
    return RunView(
        id=run.id,
        month=run.month,
        status=RunStatus(run.status),
        source=RunSource(run.source),
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        issued=run.issued,
    )


async def _open_run(session: AsyncSession, month: date) -> InvoiceRun | None:
    return (
        await session.execute(
            select(InvoiceRun).where(
                col(InvoiceRun.month) == month, col(InvoiceRun.status) != RunStatus.DONE
            )
        )
    ).scalar_one_or_none()


@raises(InvalidInputError)
async def request_run(deps: Deps, *, caller: Caller, month: str) -> RunView:
    """Staff: queue the run of a month that has ended for the worker (one audit event); a
    run of that month already waiting or running is the answer instead of a second one."""
    now = deps.clock.now()
    problems = Problems()
    wanted = month_field(problems, "month", month, now=now)
    problems.raise_if_any()
    assert wanted is not None
    for _attempt in range(2):
        try:
            async with deps.db.write() as session:
                run = await _open_run(session, wanted)
                if run is None:
                    run = InvoiceRun(
                        month=wanted,
                        status=RunStatus.PENDING,
                        source=RunSource.STAFF,
                        requested_at=now,
                        requested_by_id=caller.account_id,
                    )
                    session.add(run)
                    await session.flush()
                await audit.record(
                    session,
                    caller=caller,
                    action="invoice_run.requested",
                    subject=f"invoice_run:{run.id}",
                    details=f"month {month_text(wanted)}",
                    now=now,
                )
                await session.commit()
                return _view(run)
        except IntegrityError:
            continue  # another request of that month came first: answer with it
    raise RuntimeError("the run could not be queued")


async def ensure_requested(deps: Deps, *, month: date, now: datetime) -> bool:
    """The worker after a month ended: ask for its run unless there is one; True if asked."""
    try:
        async with deps.db.write() as session:
            if await session.scalar(
                select(col(InvoiceRun.id)).where(col(InvoiceRun.month) == month).limit(1)
            ):
                return False
            session.add(
                InvoiceRun(
                    month=month, status=RunStatus.PENDING, source=RunSource.WORKER, requested_at=now
                )
            )
            await session.commit()
    except IntegrityError:
        return False
    log.info("invoice run %s asked for", month_text(month))
    return True


def _owner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


async def claim_run(deps: Deps, owner: str) -> InvoiceRun | None:
    """Take one run that was asked for (or whose worker's lease ran out), for `owner`."""
    now = deps.clock.now()
    takeable = (
        col(InvoiceRun.status) != RunStatus.DONE,
        or_(col(InvoiceRun.lease_until).is_(None), col(InvoiceRun.lease_until) < now),
    )
    # Asked every worker round: a read first, the write only when there is something to take.
    async with deps.db.read() as session:
        run = (
            await session.execute(
                select(InvoiceRun).where(*takeable).order_by(col(InvoiceRun.id)).limit(1)
            )
        ).scalar_one_or_none()
    if run is None:
        return None
    async with deps.db.write() as session:
        taken = await session.execute(
            update(InvoiceRun)
            .where(col(InvoiceRun.id) == run.id, *takeable)
            .values(
                status=RunStatus.RUNNING,
                started_at=now,
                lease_owner=owner,
                lease_until=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    return run if int(cast(CursorResult[Any], taken).rowcount or 0) == 1 else None


async def _finish(deps: Deps, run_id: int, owner: str, issued: int) -> None:
    async with deps.db.write() as session:
        await session.execute(
            update(InvoiceRun)
            .where(col(InvoiceRun.id) == run_id, col(InvoiceRun.lease_owner) == owner)
            .values(
                status=RunStatus.DONE,
                finished_at=deps.clock.now(),
                issued=issued,
                lease_owner=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def process_requested_runs(deps: Deps) -> int:
    """The worker: take each run asked for (or left by a worker that died) and do it."""
    owner = _owner_id()
    done = 0
    while (run := await claim_run(deps, owner)) is not None:
        assert run.id is not None
        issued = await run_month(deps, month=run.month)
        await _finish(deps, run.id, owner, issued)
        done += 1
    return done


async def run_now(deps: Deps, *, month: date) -> RunView:
    """`toegang invoice-run`: do the run of a month in this process and record it."""
    started = deps.clock.now()
    issued = await run_month(deps, month=month)
    async with deps.db.write() as session:
        run = InvoiceRun(
            month=first_of_month(month),
            status=RunStatus.DONE,
            source=RunSource.COMMAND,
            requested_at=started,
            started_at=started,
            finished_at=deps.clock.now(),
            issued=issued,
        )
        session.add(run)
        await session.commit()
    return _view(run)


class MonthlyInvoicing:
    """The worker's job: after a month ends, ask for its run once; do every run asked for."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.asked_for: date | None = None

    async def __call__(self) -> int:
        now = self.deps.clock.now()
        last = previous_month(local_date(now))
        if self.asked_for != last:
            await ensure_requested(self.deps, month=last, now=now)
            self.asked_for = last
        return await process_requested_runs(self.deps)


async def list_runs(deps: Deps, *, before_id: int | None, limit: int) -> list[RunView]:
    """Staff: the runs, newest first."""
    query = select(InvoiceRun).order_by(col(InvoiceRun.id).desc()).limit(limit)
    if before_id is not None:
        query = query.where(col(InvoiceRun.id) < before_id)
    async with deps.db.read() as session:
        return [_view(run) for run in (await session.execute(query)).scalars()]
