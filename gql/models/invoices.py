"""Invoices: their lines, the yearly number counter, digital-invoice addresses and the
monthly runs (SPEC §3.4).

An invoice is written whole in one transaction with its number, its lines and its stored
PDF: what was issued never changes (the database refuses an UPDATE of the issued columns
and of any line). What may still change is where it stands: `status`, `paid_at` and the
collection seam (`collection_status`, `collected_at`) that direct-debit collection fills.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field
from gql.models.outbox import Channel


class InvoiceKind(StrEnum):
    TOP_UP = "TOP_UP"  # a confirmed top-up of the balance, already paid
    MONTHLY_DIRECT_DEBIT = "MONTHLY_DIRECT_DEBIT"  # a month's direct-debit orders of one payer


class InvoiceStatus(StrEnum):
    """OPEN until paid (a direct-debit invoice is collected on its due date); PAID is final."""

    OPEN = "OPEN"
    PAID = "PAID"


class InvoicePaymentMethod(StrEnum):
    PAID_ONLINE = "PAID_ONLINE"  # a top-up, paid with iDEAL or a credit card before issue
    DIRECT_DEBIT = "DIRECT_DEBIT"  # collected on the mandate printed on it, on the due date


class CollectionStatus(StrEnum):
    """The direct-debit collection of an invoice (filled by the collection, not at issue)."""

    SUBMITTED = "SUBMITTED"  # in a direct-debit file handed to the bank
    COLLECTED = "COLLECTED"  # the bank reported it paid
    FAILED = "FAILED"  # the bank reported it rejected: the invoice stays OPEN


#: Columns of an issued invoice that never change (a trigger refuses an UPDATE of them).
ISSUED_COLUMNS = (
    "number",
    "year",
    "sequence",
    "kind",
    "payer_kvk_number",
    "payer_account_id",
    "payer_name",
    "address",
    "language",
    "delivery_channel",
    "delivery_email",
    "issued_at",
    "issue_date",
    "due_date",
    "month",
    "total_cents",
    "vat_cents",
    "payment_method",
    "payment_id",
    "mandate_id",
    "mandate_reference",
    "mandate_signed_on",
    "iban_masked",
    "file_id",
)


class Invoice(SQLModel, table=True):
    """An issued invoice: numbered per year of issue (Europe/Amsterdam) without gaps."""

    __tablename__ = "invoice"
    __table_args__ = (
        one_of("kind", InvoiceKind, name="invoice_kind_known"),
        one_of("status", InvoiceStatus, name="invoice_status_known"),
        one_of("payment_method", InvoicePaymentMethod, name="invoice_payment_method_known"),
        one_of("delivery_channel", Channel, name="invoice_channel_known"),
        one_of("collection_status", CollectionStatus, name="collection_known", nullable=True),
        CheckConstraint(
            "(payer_kvk_number IS NULL) != (payer_account_id IS NULL)", name="invoice_one_payer"
        ),
        CheckConstraint("vat_cents = 0", name="invoice_no_vat"),
        CheckConstraint("total_cents >= 0", name="invoice_total_not_negative"),
        CheckConstraint("sequence > 0", name="invoice_sequence_positive"),
        CheckConstraint(
            "(kind = 'TOP_UP') = (payment_id IS NOT NULL)", name="invoice_top_up_has_payment"
        ),
        CheckConstraint(
            "(kind = 'MONTHLY_DIRECT_DEBIT') = (month IS NOT NULL)", name="invoice_monthly_month"
        ),
        CheckConstraint(
            "(payment_method = 'DIRECT_DEBIT') = (mandate_id IS NOT NULL)",
            name="invoice_direct_debit_has_mandate",
        ),
        CheckConstraint("(status = 'PAID') = (paid_at IS NOT NULL)", name="invoice_paid_at"),
        UniqueConstraint("year", "sequence", name="uq_invoice_year_sequence"),
        # One monthly invoice per payer and month: a rerun of the run issues nothing twice.
        # (NULLs are distinct, so top-ups, whose month is NULL, never collide.)
        UniqueConstraint("payer_kvk_number", "month", name="uq_invoice_organisation_month"),
        UniqueConstraint("payer_account_id", "month", name="uq_invoice_account_month"),
        # The invoices page: an organisation's, a private account's, newest first.
        Index("ix_invoice_organisation", "payer_kvk_number", "id"),
        Index("ix_invoice_account", "payer_account_id", "id"),
        # Collection finds the open direct-debit invoices by due date.
        Index("ix_invoice_open_due", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=11)  # "2026-000123"
    year: int
    sequence: int
    kind: InvoiceKind = text_enum_field(InvoiceKind, max_length=24)
    # The payer: an organisation (its main user sees it) or a private account.
    payer_kvk_number: str | None = Field(
        default=None, foreign_key="company.kvk_number", max_length=8
    )
    payer_account_id: int | None = Field(default=None, foreign_key="account.id")
    # Read at issue and kept: the name and address block printed on it (lines, newline
    # separated; a private account's e-mail address).
    payer_name: str = Field(max_length=200)
    address: str = Field(max_length=1000)
    language: str = Field(default="nl", max_length=2)
    delivery_channel: Channel = text_enum_field(Channel, max_length=5)
    delivery_email: str | None = Field(default=None, max_length=254)
    issued_at: datetime = utc_field()
    issue_date: date  # in Europe/Amsterdam
    due_date: date  # collection date for direct debit; the issue date for a paid top-up
    month: date | None = None  # the first day of the month of a monthly invoice
    total_cents: int
    vat_cents: int = 0
    status: InvoiceStatus = text_enum_field(InvoiceStatus, max_length=10)
    paid_at: datetime | None = utc_field(nullable=True, default=None)
    payment_method: InvoicePaymentMethod = text_enum_field(InvoicePaymentMethod, max_length=12)
    # A top-up's payment at the provider.
    payment_id: int | None = Field(default=None, foreign_key="payment.id", unique=True)
    # Direct debit: the mandate it is collected on, as printed on it.
    mandate_id: int | None = Field(default=None, foreign_key="direct_debit_mandate.id")
    mandate_reference: str | None = Field(default=None, max_length=35)
    mandate_signed_on: date | None = None
    iban_masked: str | None = Field(default=None, max_length=40)
    # The stored PDF (owner kind "invoice"): sent as is, by e-mail or by post.
    file_id: int = Field(foreign_key="stored_file.id")
    # The seam to direct-debit collection (part of the invoices domain, filled later).
    collection_status: CollectionStatus | None = text_enum_field(
        CollectionStatus, max_length=10, default=None
    )
    collected_at: datetime | None = utc_field(nullable=True, default=None)


class InvoiceLine(SQLModel, table=True):
    """One line: an order (invoiced once) or a top-up. Kept as issued (append-only)."""

    __tablename__ = "invoice_line"
    __table_args__ = (Index("ix_invoice_line_invoice", "invoice_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id")
    position: int
    # An order is on one invoice only.
    order_id: int | None = Field(default=None, foreign_key="product_order.id", unique=True)
    order_reference: str | None = Field(default=None, max_length=20)
    product_code: str | None = Field(default=None, max_length=40)
    description: str = Field(max_length=200)
    kvk_number: str | None = Field(default=None, max_length=8)  # the company it is about
    company_name: str | None = Field(default=None, max_length=200)
    service_date: date  # the day the order was placed or the top-up paid (Amsterdam)
    amount_cents: int


class InvoiceCounter(SQLModel, table=True):
    """The last invoice number of a year of issue, taken under the row's lock."""

    __tablename__ = "invoice_counter"
    __table_args__ = (CheckConstraint("last_number >= 0", name="counter_not_negative"),)

    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last_number: int = 0


class InvoiceEmail(SQLModel, table=True):
    """An organisation asked for digital invoices: they go by e-mail to this address."""

    __tablename__ = "invoice_email"

    kvk_number: str = Field(primary_key=True, foreign_key="company.kvk_number", max_length=8)
    email: str = Field(max_length=254)
    requested_at: datetime = utc_field()
    changed_at: datetime = utc_field()
    changed_by_id: int = Field(foreign_key="account.id")


class RunStatus(StrEnum):
    PENDING = "PENDING"  # asked for; a worker takes it
    RUNNING = "RUNNING"  # taken by a worker (until its lease ends)
    DONE = "DONE"


class RunSource(StrEnum):
    WORKER = "WORKER"  # a month ended
    STAFF = "STAFF"  # staffRunInvoices
    COMMAND = "COMMAND"  # toegang invoice-run


class InvoiceRun(SQLModel, table=True):
    """A monthly run of a month: asked for, taken by a worker, done (reruns issue only what
    is missing)."""

    __tablename__ = "invoice_run"
    __table_args__ = (
        one_of("status", RunStatus, name="run_status_known"),
        one_of("source", RunSource, name="run_source_known"),
        CheckConstraint("(status = 'DONE') = (finished_at IS NOT NULL)", name="run_done_at"),
        # At most one run of a month waits or runs at a time.
        Index(
            "uq_invoice_run_open",
            "month",
            unique=True,
            sqlite_where=text("status != 'DONE'"),
            postgresql_where=text("status != 'DONE'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)  # its first day
    status: RunStatus = text_enum_field(RunStatus, max_length=10)
    source: RunSource = text_enum_field(RunSource, max_length=10)
    requested_at: datetime = utc_field()
    requested_by_id: int | None = Field(default=None, foreign_key="account.id")
    started_at: datetime | None = utc_field(nullable=True, default=None)
    finished_at: datetime | None = utc_field(nullable=True, default=None)
    issued: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = utc_field(nullable=True, default=None)
