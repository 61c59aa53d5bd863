"""Resolvers of the catalog and orders domains: products, placing and listing orders."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.files.access import download_path, signed_link
from gql.models.orders import Order as OrderRow
from gql.models.orders import OrderStatus as OrderStatusValue
from gql.psp.port import PaymentMethod as OnlineMethod
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    mutation,
    page_args,
    require_account,
)
from gql.resolvers.node import register_node
from gql.resolvers.payments import payment_type
from gql.schema.types import orders as t
from gql.schema.types.common import Connection
from gql.schema.types.ids import to_global_id
from gql.services.catalog import catalog
from gql.services.orders import anonymous, orders


def order_type(ctx: Context, view: orders.OrderView) -> t.Order:
    url, expires = None, None
    if view.file_id is not None:
        if ctx.caller.bearer and ctx.caller.account_id is not None:
            url, expires = signed_link(
                ctx.deps.settings,
                file_id=view.file_id,
                account_id=ctx.caller.account_id,
                now=ctx.deps.clock.now(),
            )
        else:
            url = ctx.deps.settings.public_url + download_path(view.file_id)
    return t.Order(
        id=to_global_id("Order", view.id),
        reference=view.reference,
        product_code=view.product_code,
        kvk_number=view.kvk_number,
        financial_year_end=view.financial_year_end,
        price_cents=view.price_cents,
        payment_method=t.OrderPaymentMethod(view.payment_method.value),
        mandate_reference=view.mandate_reference,
        to_be_invoiced=view.to_be_invoiced,
        status=t.OrderStatus(view.status.value),
        placed_at=view.placed_at,
        delivered_at=view.delivered_at,
        download_url=url,
        download_expires_at=expires,
        account_id=view.account_id,
    )


async def products(info: Inf) -> list[t.Product]:
    ctx = info.context
    views = await catalog.list_products(ctx.deps, at=ctx.deps.clock.now())
    return [t.Product.from_view(view, ctx.language) for view in views]


async def place_order(info: Inf, input: Annotated[t.PlaceOrderInput, INPUT]) -> t.PlaceOrderResult:
    ctx = info.context
    view = await orders.place_order(
        ctx.deps,
        caller=require_account(info),
        product_code=input.product_code,
        kvk_number=input.kvk_number,
        financial_year_end=input.financial_year_end,
        idempotency_key=input.idempotency_key,
    )
    return t.PlaceOrderPayload(
        order=order_type(ctx, view),
        message=i18n.text("order_placed", ctx.language, reference=view.reference),
    )


async def buy_certified_extract(
    info: Inf, input: Annotated[t.BuyCertifiedExtractInput, INPUT]
) -> t.BuyCertifiedExtractResult:
    ctx = info.context
    purchase = await anonymous.buy_certified_extract(
        ctx.deps,
        caller=ctx.caller,
        kvk_number=input.kvk_number,
        email=input.email,
        method=OnlineMethod(input.method.name),
        return_url=input.return_url,
        idempotency_key=input.idempotency_key,
    )
    return t.BuyCertifiedExtractPayload(
        order=order_type(ctx, purchase.order),
        payment=payment_type(purchase.payment),
        message=i18n.text("no_invoice_for_online_payment", ctx.language),
    )


async def list_orders(
    info: Inf,
    status: Annotated[
        t.OrderStatus | None, strawberry.argument(description="Only orders in this status.")
    ] = None,
    placed_from: Annotated[
        date | None,
        strawberry.argument(description="Placed on or after this day (Europe/Amsterdam)."),
    ] = None,
    placed_until: Annotated[
        date | None,
        strawberry.argument(description="Placed on or before this day (Europe/Amsterdam)."),
    ] = None,
    kvk_number: Annotated[
        str | None, strawberry.argument(description="Only orders about this company.")
    ] = None,
    first: Annotated[int | None, FIRST] = 20,
    after: Annotated[str | None, AFTER] = None,
) -> Connection[t.Order]:
    ctx = info.context
    page = page_args(first, after, ctx.language)
    views = await orders.list_orders(
        ctx.deps,
        caller=require_account(info),
        where=orders.OrderFilter(
            status=OrderStatusValue(status.name) if status else None,
            placed_from=placed_from,
            placed_until=placed_until,
            kvk_number=kvk_number.strip() if kvk_number else None,
        ),
        before_id=page.after_key,
        limit=page.limit + 1,
    )
    return connection(views, page, node=lambda v: order_type(ctx, v), key=lambda v: v.id)


async def _load_order(ctx: Context, pk: int) -> t.Order | None:
    view = await orders.get_order(ctx.deps, caller=ctx.caller, order_id=pk)
    return order_type(ctx, view) if view else None


register_node("Order", table=OrderRow, load=_load_order)


@strawberry.type
class Query:
    products: list[t.Product] = strawberry.field(
        resolver=products,
        description="The register products with their price now (no VAT is charged); "
        "readable without signing in.",
    )
    orders: Connection[t.Order] = strawberry.field(
        resolver=list_orders,
        description="Your orders, newest first (an organisation's main user: every code's "
        "orders of the organisation). Dates are whole days in Europe/Amsterdam, inclusive.",
    )


@strawberry.type
class Mutation:
    place_order: t.PlaceOrderResult = mutation(
        place_order,
        description="Order a register product about a company, paid the account's way: from "
        "the balance (private accounts) or by direct debit on the active mandate (collected "
        "with the monthly invoice). Its document follows at once; download it from the order.",
    )
    buy_certified_extract: t.BuyCertifiedExtractResult = mutation(
        buy_certified_extract,
        description="Buy the digitally certified extract without an access code, with iDEAL or "
        "a credit card: send the payer to payment.paymentUrl; once the provider confirms the "
        "payment the download link is e-mailed. No invoice is made for it: the bank or card "
        "statement is the proof of payment.",
    )
