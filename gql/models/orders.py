"""The catalog (products and their prices over time), orders, and the download links of
anonymous purchases."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class ProductKind(StrEnum):
    """What the product's document is built from."""

    EXTRACT = "EXTRACT"  # the register's facts about the company
    PROFILE = "PROFILE"  # a short company profile
    FILED = "FILED"  # a filed annual report (the financial year is part of the order)


class Product(SQLModel, table=True):
    """A register product; reference data from gql/data/products.json (`toegang migrate`)."""

    __tablename__ = "product"
    __table_args__ = (one_of("kind", ProductKind, name="product_kind_known"),)

    code: str = Field(primary_key=True, max_length=40)
    position: int = 0
    kind: ProductKind = text_enum_field(ProductKind, max_length=10)
    name_nl: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    description_nl: str = Field(max_length=1000)
    description_en: str = Field(max_length=1000)
    # Certified: a certification statement; digitally certified: a PAdES seal as well.
    certified: bool = False
    digitally_signed: bool = False
    # The filed XBRL file itself instead of a PDF.
    xbrl: bool = False
    anonymous: bool = False  # can be bought without an account (iDEAL, credit card)
    orderable: bool = True


class ProductPrice(SQLModel, table=True):
    """A product's price from `valid_from` on (a tariff change takes effect at that moment)."""

    __tablename__ = "product_price"
    __table_args__ = (
        UniqueConstraint("product_code", "valid_from", name="uq_product_price_from"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_code: str = Field(foreign_key="product.code", max_length=40)
    valid_from: datetime = utc_field()
    price_cents: int


class OrderPayment(StrEnum):
    BALANCE = "BALANCE"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    IDEAL = "IDEAL"
    CREDIT_CARD = "CREDIT_CARD"


class OrderStatus(StrEnum):
    """AWAITING_PAYMENT (anonymous purchases) → PLACED → DELIVERED (its document exists);
    CANCELLED when an anonymous purchase's payment did not go through."""

    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PLACED = "PLACED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class Order(SQLModel, table=True):
    """An order of one product about one company, at the price of its moment."""

    __tablename__ = "product_order"
    __table_args__ = (
        one_of("payment_method", OrderPayment, name="order_payment_known"),
        one_of("status", OrderStatus, name="order_status_known"),
        CheckConstraint("price_cents >= 0", name="order_price_not_negative"),
        CheckConstraint(
            "(status = 'DELIVERED') = (file_id IS NOT NULL)", name="delivered_has_document"
        ),
        CheckConstraint(
            "(payment_method = 'DIRECT_DEBIT') = (mandate_id IS NOT NULL)",
            name="direct_debit_has_mandate",
        ),
        CheckConstraint(
            "(account_id IS NULL) = (payment_id IS NOT NULL)", name="anonymous_is_paid_online"
        ),
        # The orders page: an account's own, an organisation's, newest first.
        Index("ix_order_account", "account_id", "id"),
        Index("ix_order_organisation", "payer_kvk_number", "id"),
        # The worker finds orders still without their document.
        Index(
            "ix_order_undelivered",
            "status",
            postgresql_where=text("status = 'PLACED'"),
            sqlite_where=text("status = 'PLACED'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=20)
    product_code: str = Field(foreign_key="product.code", max_length=40)
    kvk_number: str = Field(foreign_key="company.kvk_number", max_length=8, index=True)
    financial_year_end: date | None = None
    price_cents: int
    # Who placed it (None: an anonymous purchase); business orders also name the organisation.
    account_id: int | None = Field(default=None, foreign_key="account.id")
    payer_kvk_number: str | None = Field(default=None, max_length=8)
    payment_method: OrderPayment = text_enum_field(OrderPayment, max_length=12)
    mandate_id: int | None = Field(default=None, foreign_key="direct_debit_mandate.id")
    # Direct debit: invoiced once a month (the invoices issue sets invoice_id).
    to_be_invoiced: bool = False
    invoice_id: int | None = None
    # Anonymous purchases: the online payment, and the sealed address the link goes to.
    payment_id: int | None = Field(default=None, foreign_key="payment.id", unique=True)
    sealed_email: str | None = Field(default=None, max_length=1000)
    language: str = Field(default="nl", max_length=2)
    status: OrderStatus = text_enum_field(OrderStatus, max_length=20)
    file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    placed_at: datetime = utc_field()
    delivered_at: datetime | None = utc_field(nullable=True, default=None)


class DownloadLink(SQLModel, table=True):
    """The e-mailed link of an anonymous purchase: only its SHA-256 is kept."""

    __tablename__ = "download_link"
    __table_args__ = (CheckConstraint("downloads_left >= 0", name="downloads_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="product_order.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    expires_at: datetime = utc_field()
    downloads_left: int
    created_at: datetime = utc_field()
