"""Types of the catalog and orders domains: products, orders, placing an order."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from gql import i18n
from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.schema.types.payments import OnlinePaymentMethod, Payment
from gql.schema.types.register import Company
from gql.services.catalog import catalog
from gql.services.orders import anonymous, orders


@strawberry.type(description="A register product you can order.")
class Product:
    code: str = strawberry.field(description="The product's code, as placeOrder takes it.")
    name: str = strawberry.field(description="Its name, in the language of the request.")
    description: str = strawberry.field(description="What you get, in the language asked.")
    price_cents: int | None = strawberry.field(
        description="The price now, in euro cents; no VAT (btw) is charged (vatCents is 0). "
        "Null before the product's first price takes effect."
    )
    vat_cents: int = strawberry.field(description="Always 0: no VAT (btw) is charged.")
    vat_statement: str = strawberry.field(description="That no VAT (btw) is charged, for people.")
    needs_financial_year_end: bool = strawberry.field(
        description="About filed annual accounts: placeOrder needs financialYearEnd."
    )
    anonymous_purchase: bool = strawberry.field(
        description="Can be bought without an access code (buyCertifiedExtract), with iDEAL or "
        "a credit card."
    )
    orderable: bool = strawberry.field(
        description="Whether it can be ordered here (only products this service can make from "
        "the register's data)."
    )

    @classmethod
    def from_view(cls, view: catalog.ProductView, language: str) -> Product:
        return cls(
            code=view.code,
            name=view.name(language),
            description=view.description(language),
            price_cents=view.price_cents,
            vat_cents=0,
            vat_statement=i18n.text("no_vat", language),
            needs_financial_year_end=view.needs_financial_year,
            anonymous_purchase=view.anonymous,
            orderable=view.orderable and view.price_cents is not None,
        )


@strawberry.enum(description="Where an order stands.")
class OrderStatus(Enum):
    AWAITING_PAYMENT = strawberry.enum_value(
        "AWAITING_PAYMENT", description="An anonymous purchase waiting for its payment."
    )
    PLACED = strawberry.enum_value("PLACED", description="Placed; its document is being made.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="Its document can be downloaded.")
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="An anonymous purchase whose payment did not go through."
    )


@strawberry.enum(description="How an order was paid.")
class OrderPaymentMethod(Enum):
    BALANCE = strawberry.enum_value("BALANCE", description="From the prepaid balance.")
    DIRECT_DEBIT = strawberry.enum_value(
        "DIRECT_DEBIT", description="By direct debit on the mandate, invoiced once a month."
    )
    IDEAL = strawberry.enum_value("IDEAL", description="iDEAL (anonymous purchase).")
    CREDIT_CARD = strawberry.enum_value(
        "CREDIT_CARD", description="Credit card (anonymous purchase)."
    )


@strawberry.type(description="An order of a register product about a company.")
class Order(Node):
    reference: str = strawberry.field(description="The order number, for people.")
    product_code: str = strawberry.field(description="The product's code.")
    kvk_number: str = strawberry.field(description="The KVK number of the company it is about.")
    financial_year_end: date | None = strawberry.field(
        description="For products about filed annual accounts: the financial year."
    )
    price_cents: int = strawberry.field(
        description="What it cost, in euro cents, at the moment it was placed (no VAT)."
    )
    payment_method: OrderPaymentMethod = strawberry.field(description="How it was paid.")
    mandate_reference: str | None = strawberry.field(
        description="Direct debit: the mandate it is collected on."
    )
    to_be_invoiced: bool = strawberry.field(
        description="Direct debit: it goes on the next monthly invoice."
    )
    status: OrderStatus = strawberry.field(description="Where it stands.")
    placed_at: datetime = strawberry.field(description="When it was placed.")
    delivered_at: datetime | None = strawberry.field(description="When its document was made.")
    download_url: str | None = strawberry.field(
        description="Its document, once DELIVERED: with the session cookie in a browser; for "
        "bearer-token clients a signed link that works for a few minutes."
    )
    download_expires_at: datetime | None = strawberry.field(
        description="When a signed download link stops working (null for cookie sessions)."
    )
    # Relations: plain fields, so a page's orders cost graphql-core no resolver call and no
    # awaitable each. The orders list reads them for the whole page (one statement each);
    # a single order gets an awaitable that loads through its DataLoader only if selected
    # (gql/resolvers/orders.py).
    product: Product = strawberry.field(description="The product ordered.")
    company: Company | None = strawberry.field(
        description="The company it is about, as the register has it now."
    )
    placed_by: str | None = strawberry.field(
        description="The name and access code of the code that placed it (your organisation's "
        "main user sees every code's orders); null for an anonymous purchase."
    )


@strawberry.input(description="Order a register product.")
class PlaceOrderInput:
    product_code: str = strawberry.field(description="The product's code (see products).")
    kvk_number: str = strawberry.field(description="The KVK number of the company it is about.")
    idempotency_key: str = strawberry.field(
        description="A new random key (a UUID) per order; send the same key again when "
        "retrying, and the first order is answered instead of a second one."
    )
    financial_year_end: date | None = strawberry.field(
        default=None,
        description="Only for products about filed annual accounts: the last day of the "
        "financial year.",
    )


@strawberry.type(description="Placed: the order, paid the account's way.")
class PlaceOrderPayload:
    order: Order = strawberry.field(description="The order.")
    message: str = strawberry.field(description="Confirmation for people to read.")


PlaceOrderResult = result_union("placeOrder", PlaceOrderPayload, orders.place_order)


@strawberry.input(description="Buy the digitally certified extract without an access code.")
class BuyCertifiedExtractInput:
    kvk_number: str = strawberry.field(description="The KVK number of the company.")
    email: str = strawberry.field(description="Where the download link goes once paid.")
    method: OnlinePaymentMethod = strawberry.field(description="iDEAL or a credit card.")
    idempotency_key: str = strawberry.field(
        description="A new random key (a UUID) per purchase; send the same key again when "
        "retrying, and the first purchase is answered instead of a second one."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description="Where the payer returns after paying: an address on an allowed origin of "
        "the app, or an app link. Leave it out for the service's own page.",
    )


@strawberry.type(
    description="Started: send the payer to payment.paymentUrl; the link is e-mailed once paid."
)
class BuyCertifiedExtractPayload:
    order: Order = strawberry.field(description="The order, AWAITING_PAYMENT.")
    payment: Payment = strawberry.field(description="The payment at the provider.")
    message: str = strawberry.field(
        description="For people: no (copy) invoice can be sent for this purchase; the bank or "
        "card statement is the proof of payment."
    )


BuyCertifiedExtractResult = result_union(
    "buyCertifiedExtract", BuyCertifiedExtractPayload, anonymous.buy_certified_extract
)
