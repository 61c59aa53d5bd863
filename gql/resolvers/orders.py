"""Resolvers of the catalog and orders domains: products, placing and listing orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.orders import Order as OrderRow
from gql.models.orders import OrderPayment
from gql.models.orders import OrderStatus as OrderStatusValue
from gql.psp.port import PaymentMethod as OnlineMethod
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    download_link,
    mutation,
    page_args,
    require_account,
    selected_below,
)
from gql.resolvers.node import register_node
from gql.resolvers.payments import payment_type
from gql.schema.types import orders as t
from gql.schema.types.common import Connection, Later
from gql.schema.types.ids import to_global_id
from gql.schema.types.register import Company
from gql.services import register
from gql.services.accounts import accounts
from gql.services.catalog import catalog
from gql.services.orders import anonymous, orders
from gql.services.shared.deps import Deps

_PAYMENT_METHODS = {m: t.OrderPaymentMethod(m.value) for m in OrderPayment}
_STATUSES = {s: t.OrderStatus(s.value) for s in OrderStatusValue}


async def _products(deps: Deps, codes: list[str]) -> Sequence[catalog.ProductView | None]:
    found = await catalog.products_by_code(deps, codes=codes, at=deps.clock.now())
    return [found.get(code) for code in codes]


async def _placed_by(deps: Deps, ids: list[int]) -> Sequence[str | None]:
    found = await accounts.display_names(deps, account_ids=ids)
    return [found.get(account_id) for account_id in ids]


@dataclass(slots=True)
class PageRelations:
    """A page's relations, read at once by the list's resolver for what its query selects,
    one statement each (as the DataLoaders would send). None: not selected."""

    products: dict[str, catalog.ProductView] | None = None
    companies: dict[str, Any] | None = None
    placed_by: dict[int, str] | None = None
    # The same product and company objects for every order of the page that has them.
    product_types: dict[str, t.Product] = field(default_factory=dict)
    company_types: dict[str, Company | None] = field(default_factory=dict)


def _product(ctx: Context, code: str, related: PageRelations | None) -> Any:
    """The order's product, or (a single order) a Later that loads it if selected."""
    if related is None or related.products is None:

        async def load() -> t.Product:
            view = await ctx.loaders.of("product", _products).load(code)
            assert view is not None  # an order's product is never removed
            return t.Product.from_view(view, ctx.language)

        return Later(load)
    found = related.product_types.get(code)
    if found is None:
        view = related.products.get(code)
        assert view is not None  # an order's product is never removed
        found = related.product_types[code] = t.Product.from_view(view, ctx.language)
    return found


def _company(ctx: Context, kvk_number: str, related: PageRelations | None) -> Any:
    if related is None or related.companies is None:

        async def load() -> Company | None:
            row = await ctx.loaders.company.load(kvk_number)
            return Company.from_row(row) if row else None

        return Later(load)
    if kvk_number not in related.company_types:
        row = related.companies.get(kvk_number)
        related.company_types[kvk_number] = Company.from_row(row) if row else None
    return related.company_types[kvk_number]


def _placed_by_of(ctx: Context, account_id: int | None, related: PageRelations | None) -> Any:
    if account_id is None:
        return None
    if related is None or related.placed_by is None:
        return Later(lambda: ctx.loaders.of("placed_by", _placed_by).load(account_id))
    return related.placed_by.get(account_id)


def order_type(
    ctx: Context, view: orders.OrderView, related: PageRelations | None = None
) -> t.Order:
    url, expires = download_link(ctx, view.file_id) if view.file_id is not None else (None, None)
    return t.Order(
        id=to_global_id("Order", view.id),
        reference=view.reference,
        product_code=view.product_code,
        kvk_number=view.kvk_number,
        financial_year_end=view.financial_year_end,
        price_cents=view.price_cents,
        payment_method=_PAYMENT_METHODS[view.payment_method],
        mandate_reference=view.mandate_reference,
        to_be_invoiced=view.to_be_invoiced,
        status=_STATUSES[view.status],
        placed_at=view.placed_at,
        delivered_at=view.delivered_at,
        download_url=url,
        download_expires_at=expires,
        product=_product(ctx, view.product_code, related),
        company=_company(ctx, view.kvk_number, related),
        placed_by=_placed_by_of(ctx, view.account_id, related),
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
    related = await _relations(ctx, views[: page.limit], selected_below(info, "edges", "node"))
    return connection(views, page, node=lambda v: order_type(ctx, v, related), key=lambda v: v.id)


async def _relations(
    ctx: Context, views: list[orders.OrderView], selected: frozenset[str]
) -> PageRelations | None:
    """The page's products, companies and who placed its orders, each in one statement and
    only when the query selects them."""
    if not views or not selected & {"product", "company", "placedBy"}:
        return None
    deps = ctx.deps
    related = PageRelations()
    if "product" in selected:
        codes = list(dict.fromkeys(v.product_code for v in views))
        related.products = await catalog.products_by_code(deps, codes=codes, at=deps.clock.now())
    if "company" in selected:
        kvks = list(dict.fromkeys(v.kvk_number for v in views))
        related.companies = await register.get_companies(deps, kvk_numbers=kvks)
    if "placedBy" in selected:
        ids = list(dict.fromkeys(v.account_id for v in views if v.account_id is not None))
        related.placed_by = await accounts.display_names(deps, account_ids=ids) if ids else {}
    return related


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
