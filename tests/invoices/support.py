"""What the invoice tests share: documents, payers with direct-debit orders placed at a
moment of the test's choosing, the monthly run, and reading what was stored and sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlmodel import col
from starlette.applications import Starlette

from gql.files import store
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.models.accounts import Account
from gql.models.accounts import PaymentMethod as AccountPaymentMethod
from gql.models.invoices import Invoice, InvoiceLine
from gql.models.mandates import DirectDebitMandate
from gql.models.orders import Order, OrderPayment, OrderStatus
from gql.models.payments import Payment, PaymentPurpose, PaymentState
from gql.services import mandates
from gql.services.accounts import access_codes
from gql.services.invoices import monthly
from gql.services.orders.orders import new_reference
from gql.services.shared.formatting import AMSTERDAM
from tests.support.api import http_client
from tests.support.factories import add_account, log_in

KVK = "12345678"
OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)
IBAN = "NL91ABNA0417164300"

INVOICES = """
query($first: Int, $after: String, $status: InvoiceStatus, $from: Date, $until: Date) {
  invoices(first: $first, after: $after, status: $status, issuedFrom: $from, issuedUntil: $until) {
    edges {
      node {
        id number kind status issueDate dueDate month totalCents vatCents vatStatement
        paymentMethod payerName address kvkNumber deliveryChannel mandateReference
        ibanMasked collectionDate downloadUrl
        lines { orderReference productCode description kvkNumber companyName date amountCents }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def amsterdam(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment given in Dutch time, as the UTC moment the app stores."""
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM).astimezone(UTC)


async def account_id(app: Starlette, code: str) -> int:
    async with app.state.deps.db.read() as session:
        found = await session.scalar(
            select(Account.id).where(Account.access_code == access_codes.normalize(code))
        )
    assert found is not None
    return int(found)


async def private_on_direct_debit(app: Starlette, *, email: str = "piet@example.nl") -> str:
    """A private account paying by direct debit on its own mandate; returns its code."""
    code = await add_account(app, email=email)
    deps = app.state.deps
    pk = await account_id(app, code)
    async with deps.db.write() as session:
        await mandates.sign_mandate(
            session, iban=IBAN, account_holder="P. Pieterse", now=deps.clock.now(), account_id=pk
        )
        await session.execute(
            update(Account)
            .where(col(Account.id) == pk)
            .values(payment_method=AccountPaymentMethod.DIRECT_DEBIT)
        )
        await session.commit()
    return code


async def add_dd_order(
    app: Starlette,
    code: str,
    *,
    placed_at: datetime,
    price_cents: int = 1195,
    product: str = "EXTRACT",
    about: str = KVK,
) -> int:
    """A direct-debit order of the account (its organisation's, or its own mandate), placed
    at `placed_at`, as placeOrder leaves it; returns its id."""
    deps = app.state.deps
    async with deps.db.write() as session:
        account = (
            await session.execute(
                select(Account).where(Account.access_code == access_codes.normalize(code))
            )
        ).scalar_one()
        owner = (
            DirectDebitMandate.kvk_number == account.kvk_number
            if account.kvk_number
            else DirectDebitMandate.account_id == account.id
        )
        mandate_id = await session.scalar(
            select(DirectDebitMandate.id).where(owner, col(DirectDebitMandate.active).is_(True))
        )
        order = Order(
            reference=new_reference(placed_at),
            product_code=product,
            kvk_number=about,
            price_cents=price_cents,
            account_id=account.id,
            payer_kvk_number=account.kvk_number,
            payment_method=OrderPayment.DIRECT_DEBIT,
            mandate_id=mandate_id,
            to_be_invoiced=True,
            status=OrderStatus.PLACED,
            placed_at=placed_at,
        )
        session.add(order)
        await session.commit()
    assert order.id is not None
    return order.id


async def add_paid_top_ups(app: Starlette, account: int, amounts: list[int]) -> list[int]:
    """Top-ups the provider confirmed (as settle leaves them, before their invoice)."""
    deps = app.state.deps
    ids = []
    async with deps.db.write() as session:
        for index, cents in enumerate(amounts):
            payment = Payment(
                public_id=f"test-{account}-{index}-{cents}",
                account_id=account,
                purpose=PaymentPurpose.TOP_UP,
                amount_cents=cents,
                method="IDEAL",
                status=PaymentState.PAID,
                return_url="/",
                created_at=deps.clock.now(),
                settled_at=deps.clock.now(),
            )
            session.add(payment)
            await session.flush()
            ids.append(payment.id)
        await session.commit()
    return ids


async def run(app: Starlette, month: date) -> int:
    return await monthly.run_month(app.state.deps, month=month)


async def invoices_in_db(app: Starlette) -> list[Invoice]:
    async with app.state.deps.db.read() as session:
        return list((await session.execute(select(Invoice).order_by(col(Invoice.id)))).scalars())


async def lines_in_db(app: Starlette) -> list[InvoiceLine]:
    async with app.state.deps.db.read() as session:
        return list(
            (await session.execute(select(InvoiceLine).order_by(col(InvoiceLine.id)))).scalars()
        )


async def stored_pdf(app: Starlette, file_id: int) -> bytes:
    deps = app.state.deps
    info = await store.info(deps.db, file_id)
    assert info is not None
    return await store.read_all(deps.db, info)


async def dispatch(app: Starlette) -> int:
    """The worker's dispatcher, once, with the senders `toegang serve` has."""
    deps = app.state.deps
    senders = make_senders(deps.settings, deps.db)
    return await Dispatcher(deps.db, deps.settings, deps.clock, senders).run_once(limit=100)


@asynccontextmanager
async def signed_in(app: Starlette, code: str, **client: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app, **client) as c:
        result = await log_in(c, code)
        assert result["__typename"] == "LogInPayload", result
        yield c


def edges(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["invoices"]["edges"]]
