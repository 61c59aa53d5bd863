"""Placing and reading orders (SPEC §3.2, seed: "Met een toegangscode bestel je producten
uit het Handelsregister met een tegoed of automatische incasso", "Bestellingen bekijken").

An order is one transaction: the idempotency key is claimed, the price of the moment is
fixed, and the payment follows the account's method: BALANCE debits the available balance
through the ledger (a conditional UPDATE: never below zero, also under concurrency);
DIRECT_DEBIT records the active mandate and marks the order "to be invoiced". Its document
is made right after the commit (gql/services/orders/delivery.py), or by the worker when the
process died in between.

Who sees an order: the code that placed it; for an organisation, its main user sees every
order of every code (with who placed it). Anyone else's order answers like an unknown one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.files.access import Downloader, register_owner
from gql.models.accounts import Account, Usage
from gql.models.accounts import PaymentMethod as AccountPaymentMethod
from gql.models.filings import AnnualReport, AnnualReportVersion, FilingFormat
from gql.models.ledger import EntryKind
from gql.models.mandates import DirectDebitMandate
from gql.models.orders import Order, OrderPayment, OrderStatus, ProductKind
from gql.reader import Read
from gql.services import register, service
from gql.services.catalog import catalog
from gql.services.invoices import reminders
from gql.services.ledger import balance
from gql.services.ledger.balance import InsufficientBalanceError
from gql.services.mandates import active_mandate
from gql.services.orders import texts  # noqa: F401  (registers texts and mails)
from gql.services.shared import idempotency
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    DomainError,
    ForbiddenError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import AMSTERDAM, end_of_local_day, start_of_local_day
from gql.services.shared.validation import kvk_number_field

OWNER_KIND = "order"
OPERATION = "placeOrder"
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class NothingFiledError(DomainError):
    description = "No annual accounts (of that kind) were filed for this financial year."
    code_description = "NothingFiled: nothing filed for that financial year."
    message_key = "nothing_filed"


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    reference: str
    product_code: str
    kvk_number: str
    financial_year_end: date | None
    price_cents: int
    payment_method: OrderPayment
    mandate_reference: str | None
    to_be_invoiced: bool
    status: OrderStatus
    placed_at: datetime
    delivered_at: datetime | None
    account_id: int | None
    payer_kvk_number: str | None
    file_id: int | None


def new_reference(now: datetime) -> str:
    """An order number people can read out: the year and 8 random characters."""
    tail = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{now.astimezone(AMSTERDAM).year}-{tail}"


async def ordering_account(deps: Deps, caller: Caller) -> Account:
    """The signed-in private or business account that orders; staff do not."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
    if account is None or not account.active:
        raise UnauthenticatedError()
    if account.usage == Usage.STAFF:
        raise ForbiddenError()
    return account


@raises(
    InvalidInputError,
    NotFoundError,
    NothingFiledError,
    InsufficientBalanceError,
    InvalidStateError,
    service.MaintenanceInProgressError,
    idempotency.IdempotencyKeyReusedError,
    idempotency.IdempotencyKeyInProgressError,
)
async def place_order(
    deps: Deps,
    *,
    caller: Caller,
    product_code: str,
    kvk_number: str,
    financial_year_end: date | None,
    idempotency_key: str,
) -> OrderView:
    """Order a product about a company, paid the account's way; its document follows."""
    account = await ordering_account(deps, caller)
    assert account.id is not None
    now = deps.clock.now()
    problems = Problems()
    code = product_code.strip().upper()
    async with deps.db.read() as session:
        product = await catalog.product_for_order(session, code, at=now)
    if product is None:
        problems.add("productCode", "product_unknown")
    elif not product.orderable or product.price_cents is None:
        problems.add("productCode", "product_not_orderable")
    kvk = kvk_number_field(problems, "kvkNumber", kvk_number)
    if product is not None:
        if product.needs_financial_year and financial_year_end is None:
            problems.add("financialYearEnd", "financial_year_end_required")
        elif not product.needs_financial_year and financial_year_end is not None:
            problems.add("financialYearEnd", "financial_year_end_not_used")
    key = idempotency.key_field(problems, idempotency_key)
    problems.raise_if_any()
    assert product is not None and product.price_cents is not None
    scope = f"account:{account.id}"
    fingerprint = idempotency.fingerprint(
        OPERATION, {"product": code, "kvk": kvk, "year": financial_year_end}
    )
    async with deps.db.write() as session:
        first = await idempotency.claim(
            session, scope=scope, key=key, operation=OPERATION, input_hash=fingerprint, now=now
        )
        if first is not None:
            await session.commit()
            return await _replay(deps, int(first.removeprefix("order:")))
        await service.ensure_no_maintenance(deps, language=caller.language)
        if await register.get_company(session, kvk) is None:
            raise NotFoundError(field_path=("kvkNumber",))
        if product.kind == ProductKind.FILED:
            assert financial_year_end is not None
            await _ensure_filed(session, kvk, financial_year_end, xbrl=product.xbrl)
        order = Order(
            reference=new_reference(now),
            product_code=code,
            kvk_number=kvk,
            financial_year_end=financial_year_end,
            price_cents=product.price_cents,
            account_id=account.id,
            payer_kvk_number=account.kvk_number if account.usage == Usage.BUSINESS else None,
            payment_method=OrderPayment.BALANCE,
            language=account.language,
            status=OrderStatus.PLACED,
            placed_at=now,
        )
        if (
            account.usage == Usage.PRIVATE
            and account.payment_method == AccountPaymentMethod.BALANCE
        ):
            session.add(order)
            await session.flush()
            if product.price_cents > 0:
                await balance.debit(
                    session,
                    account_id=account.id,
                    amount_cents=product.price_cents,
                    kind=EntryKind.ORDER,
                    now=now,
                    order_id=order.id,
                )
        else:
            # An invoice still open after its formal notice stops direct-debit orders.
            await reminders.ensure_direct_debit_allowed(
                session, kvk_number=order.payer_kvk_number, account_id=account.id
            )
            mandate = await _mandate(session, account)
            if mandate is None:
                raise InvalidStateError(message_key="order_needs_mandate")
            order.payment_method = OrderPayment.DIRECT_DEBIT
            order.mandate_id = mandate.id
            order.to_be_invoiced = True
            session.add(order)
            await session.flush()
        assert order.id is not None
        await idempotency.complete(
            session, scope=scope, key=key, result_ref=f"order:{order.id}", now=now
        )
        await session.commit()
        order_id = order.id
    from gql.services.orders import delivery  # the document follows the order

    await delivery.deliver_soon(deps, order_id)
    view = await get_order_view(deps, order_id)
    assert view is not None
    return view


async def _replay(deps: Deps, order_id: int) -> OrderView:
    view = await get_order_view(deps, order_id)
    assert view is not None
    return view


async def _mandate(session: AsyncSession, account: Account) -> DirectDebitMandate | None:
    """The mandate an order is collected on: the organisation's, or the private account's."""
    if account.usage == Usage.BUSINESS:
        return await active_mandate(session, kvk_number=account.kvk_number)
    return await active_mandate(session, account_id=account.id)


async def _ensure_filed(session: AsyncSession, kvk: str, year_end: date, *, xbrl: bool) -> None:
    """The filing of that year exists (in XBRL, for the XBRL product), else NothingFiled."""
    latest = (
        await session.execute(
            select(AnnualReportVersion.format)
            .join(AnnualReport, AnnualReport.id == AnnualReportVersion.report_id)  # type: ignore[arg-type]
            .where(AnnualReport.kvk_number == kvk, AnnualReport.financial_year_end == year_end)
            .order_by(AnnualReportVersion.version.desc())  # type: ignore[attr-defined]
            .limit(1)
        )
    ).scalar_one_or_none()
    if latest is None:
        raise NothingFiledError(field_path=("financialYearEnd",))
    if xbrl and latest != FilingFormat.XBRL:
        raise NothingFiledError(field_path=("financialYearEnd",), message_key="nothing_filed_xbrl")


# ---- reading ------------------------------------------------------------------------------

_order = Order.__table__  # type: ignore[attr-defined]
_mandate_table = DirectDebitMandate.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]

_COLUMNS = select(
    _order.c.id,
    _order.c.reference,
    _order.c.product_code,
    _order.c.kvk_number,
    _order.c.financial_year_end,
    _order.c.price_cents,
    _order.c.payment_method,
    _mandate_table.c.reference.label("mandate_reference"),
    _order.c.to_be_invoiced,
    _order.c.status,
    _order.c.placed_at,
    _order.c.delivered_at,
    _order.c.account_id,
    _order.c.payer_kvk_number,
    _order.c.file_id,
).select_from(_order.outerjoin(_mandate_table, _mandate_table.c.id == _order.c.mandate_id))

_ONE = Read(_COLUMNS.where(_order.c.id == bindparam("order_id")))
_VIEWER = Read(
    select(
        _account.c.usage, _account.c.kvk_number, _account.c.is_main_user, _account.c.active
    ).where(_account.c.id == bindparam("account_id"))
)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: OrderStatus | None = None
    placed_from: date | None = None  # inclusive days in Europe/Amsterdam
    placed_until: date | None = None
    kvk_number: str | None = None


@cache
def _page(
    organisation: bool, status: bool, since: bool, until: bool, kvk: bool, after: bool
) -> Read:
    conditions = [
        _order.c.payer_kvk_number == bindparam("organisation")
        if organisation
        else _order.c.account_id == bindparam("account_id")
    ]
    if status:
        conditions.append(_order.c.status == bindparam("status"))
    if since:
        conditions.append(_order.c.placed_at >= bindparam("since"))
    if until:
        conditions.append(_order.c.placed_at < bindparam("until"))
    if kvk:
        conditions.append(_order.c.kvk_number == bindparam("kvk_number"))
    if after:
        conditions.append(_order.c.id < bindparam("before_id"))
    return Read(_COLUMNS.where(*conditions).order_by(_order.c.id.desc()).limit(bindparam("limit")))


def _view(row: Any) -> OrderView:
    return OrderView(
        **{
            **row._asdict(),
            "payment_method": OrderPayment(row.payment_method),
            "status": OrderStatus(row.status),
        }
    )


async def _scope(deps: Deps, caller: Caller) -> tuple[int, str | None]:
    """(account id, organisation whose orders it sees: its main user's, else None)."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    row = await deps.db.reader.first(_VIEWER, account_id=caller.account_id)
    if row is None or not row.active:
        raise UnauthenticatedError()
    if row.usage == Usage.STAFF:
        raise ForbiddenError()
    organisation = row.kvk_number if row.usage == Usage.BUSINESS and row.is_main_user else None
    return caller.account_id, organisation


async def list_orders(
    deps: Deps, *, caller: Caller, where: OrderFilter, before_id: int | None, limit: int
) -> list[OrderView]:
    """The caller's orders (a main user: its organisation's), newest first, in one statement."""
    account_id, organisation = await _scope(deps, caller)
    read = _page(
        organisation is not None,
        where.status is not None,
        where.placed_from is not None,
        where.placed_until is not None,
        where.kvk_number is not None,
        before_id is not None,
    )
    rows = await deps.db.reader.all(
        read,
        account_id=account_id,
        organisation=organisation,
        status=where.status.value if where.status else None,
        since=start_of_local_day(where.placed_from) if where.placed_from else None,
        until=end_of_local_day(where.placed_until) if where.placed_until else None,
        kvk_number=where.kvk_number,
        before_id=before_id,
        limit=limit,
    )
    return [_view(row) for row in rows]


async def get_order_view(deps: Deps, order_id: int) -> OrderView | None:
    row = await deps.db.reader.first(_ONE, order_id=order_id)
    return _view(row) if row else None


async def get_order(deps: Deps, *, caller: Caller, order_id: int) -> OrderView | None:
    """One order, if the caller may see it (else None, as for an unknown id)."""
    try:
        account_id, organisation = await _scope(deps, caller)
    except (UnauthenticatedError, ForbiddenError):
        return None
    view = await get_order_view(deps, order_id)
    if view is None or not _sees(view, account_id, organisation):
        return None
    return view


def _sees(view: OrderView, account_id: int, organisation: str | None) -> bool:
    if view.account_id == account_id:
        return True
    return organisation is not None and view.payer_kvk_number == organisation


_FILE_ORDER = Read(
    select(_order.c.id, _order.c.account_id, _order.c.payer_kvk_number).where(
        _order.c.file_id == bindparam("file_id")
    )
)


async def _may_download(deps: Deps, downloader: Downloader, file_id: int) -> bool:
    """The code that placed the order, and its organisation's main user."""
    order = await deps.db.reader.first(_FILE_ORDER, file_id=file_id)
    if order is None or order.account_id is None:
        return False
    if order.account_id == downloader.account_id:
        return True
    row = await deps.db.reader.first(_VIEWER, account_id=downloader.account_id)
    return (
        row is not None
        and row.active
        and row.usage == Usage.BUSINESS
        and row.is_main_user
        and order.payer_kvk_number is not None
        and row.kvk_number == order.payer_kvk_number
    )


register_owner(OWNER_KIND, _may_download)
