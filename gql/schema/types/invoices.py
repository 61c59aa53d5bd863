"""Types of the invoices domain: invoices and their lines, how an organisation gets them,
copies, and the monthly runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum

import strawberry

from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.services.invoices import copies, digital, monthly, reading
from gql.services.shared.deps import Deps


@strawberry.enum(description="What an invoice is for.")
class InvoiceKind(Enum):
    TOP_UP = strawberry.enum_value(
        "TOP_UP", description="A confirmed top-up of the balance; paid already."
    )
    MONTHLY_DIRECT_DEBIT = strawberry.enum_value(
        "MONTHLY_DIRECT_DEBIT",
        description="A calendar month's orders paid by direct debit, one line per order.",
    )


@strawberry.enum(description="Where an invoice stands.")
class InvoiceStatus(Enum):
    OPEN = strawberry.enum_value(
        "OPEN", description="Not paid yet (direct debit: collected on its due date)."
    )
    PAID = strawberry.enum_value("PAID", description="Paid.")


@strawberry.enum(description="How an invoice is paid.")
class InvoicePaymentMethod(Enum):
    PAID_ONLINE = strawberry.enum_value(
        "PAID_ONLINE", description="Paid online (iDEAL or credit card) before it was issued."
    )
    DIRECT_DEBIT = strawberry.enum_value(
        "DIRECT_DEBIT",
        description="Collected by direct debit on the due date, on the mandate printed on it.",
    )


@strawberry.enum(description="How invoices reach the payer.")
class InvoiceDeliveryChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="By e-mail, with the PDF attached.")
    POST = strawberry.enum_value(
        "POST", description="By post, to the registered postal (else visiting) address."
    )


@strawberry.enum(description="The direct-debit collection of an invoice.")
class CollectionStatus(Enum):
    SUBMITTED = strawberry.enum_value(
        "SUBMITTED", description="In a direct-debit file handed to the bank."
    )
    COLLECTED = strawberry.enum_value("COLLECTED", description="Collected.")
    FAILED = strawberry.enum_value(
        "FAILED", description="The bank could not collect it; the invoice stays open."
    )


@strawberry.type(description="One line of an invoice: an order, or a top-up.")
class InvoiceLine:
    order_reference: str | None = strawberry.field(
        description="The order's reference (null for a top-up)."
    )
    product_code: str | None = strawberry.field(description="The product ordered.")
    description: str = strawberry.field(description="What it is for, as printed.")
    kvk_number: str | None = strawberry.field(
        description="The KVK number of the company the order is about."
    )
    company_name: str | None = strawberry.field(
        description="That company's name when the invoice was issued."
    )
    service_date: date = strawberry.field(
        name="date",
        description="The day the order was placed or the top-up paid (Europe/Amsterdam).",
    )
    amount_cents: int = strawberry.field(description="The amount in euro cents (no VAT).")

    @classmethod
    def from_view(cls, view: reading.LineView) -> InvoiceLine:
        return cls(
            order_reference=view.order_reference,
            product_code=view.product_code,
            description=view.description,
            kvk_number=view.kvk_number,
            company_name=view.company_name,
            service_date=view.service_date,
            amount_cents=view.amount_cents,
        )


async def _lines(deps: Deps, ids: list[int]) -> Sequence[list[reading.LineView]]:
    return await reading.lines_of(deps, ids)


@strawberry.type(
    description="An invoice: of a top-up (paid already), or of a month's direct-debit orders "
    "(collected on its due date). No VAT (btw) is charged."
)
class Invoice(Node):
    number: str = strawberry.field(description="The invoice number, e.g. 2026-000123.")
    kind: InvoiceKind = strawberry.field(description="What it is for.")
    status: InvoiceStatus = strawberry.field(description="Where it stands.")
    issued_at: datetime = strawberry.field(description="When it was issued.")
    issue_date: date = strawberry.field(description="Its date (Europe/Amsterdam).")
    due_date: date = strawberry.field(
        description="When it is due: for direct debit the collection date (28 days after "
        "issue); for a top-up its issue date."
    )
    month: str | None = strawberry.field(
        description="A monthly invoice's month, as YYYY-MM (null for a top-up)."
    )
    total_cents: int = strawberry.field(description="The total in euro cents.")
    vat_cents: int = strawberry.field(description="Always 0: no VAT (btw) is charged.")
    vat_statement: str = strawberry.field(description="That no VAT is charged, for people.")
    payment_method: InvoicePaymentMethod = strawberry.field(description="How it is paid.")
    paid_at: datetime | None = strawberry.field(description="When it was paid.")
    payer_name: str = strawberry.field(description="Who it is addressed to.")
    address: list[str] = strawberry.field(
        description="The address it was sent to, as read at issue: an organisation's postal "
        "(else visiting) address, a private account's e-mail address."
    )
    kvk_number: str | None = strawberry.field(
        description="The KVK number of the organisation that pays it."
    )
    delivery_channel: InvoiceDeliveryChannel = strawberry.field(description="How it was sent.")
    mandate_reference: str | None = strawberry.field(
        description="Direct debit: the reference of the mandate it is collected on."
    )
    mandate_signed_on: date | None = strawberry.field(
        description="Direct debit: when that mandate was signed."
    )
    iban_masked: str | None = strawberry.field(
        description="Direct debit: the account it is collected from, all but its edges hidden."
    )
    collection_date: date | None = strawberry.field(
        description="Direct debit: the day it is collected (its due date)."
    )
    collection_status: CollectionStatus | None = strawberry.field(
        description="Direct debit: how its collection went (null before it is collected)."
    )
    download_url: str = strawberry.field(
        description="Its PDF: with the session cookie in a browser; for bearer-token clients "
        "a signed link that works for a few minutes."
    )
    download_expires_at: datetime | None = strawberry.field(
        description="When a signed download link stops working (null for cookie sessions)."
    )
    pk: strawberry.Private[int]

    @strawberry.field(description="Its lines, as printed.")
    async def lines(self, info: strawberry.Info) -> list[InvoiceLine]:
        views = await info.context.loaders.of("invoice_lines", _lines).load(self.pk)
        return [InvoiceLine.from_view(view) for view in views]


@strawberry.type(description="How an organisation gets its invoices.")
class InvoiceDelivery:
    kvk_number: str = strawberry.field(description="The organisation's KVK number.")
    channel: InvoiceDeliveryChannel = strawberry.field(
        description="By post (the default) or by e-mail (digital invoices)."
    )
    email: str | None = strawberry.field(
        description="Where digital invoices go (null when they go by post)."
    )

    @classmethod
    def from_view(cls, view: reading.DeliveryView) -> InvoiceDelivery:
        return cls(
            kvk_number=view.kvk_number,
            channel=InvoiceDeliveryChannel(view.channel.value),
            email=view.email,
        )


# ---- requestDigitalInvoices -------------------------------------------------------------------


@strawberry.input(description="Get the organisation's invoices by e-mail from now on.")
class RequestDigitalInvoicesInput:
    email: str = strawberry.field(description="Where the invoices go.")


@strawberry.type(description="Invoices go by e-mail from now on; a confirmation was sent.")
class RequestDigitalInvoicesPayload:
    invoice_delivery: InvoiceDelivery = strawberry.field(description="How invoices go now.")
    message: str = strawberry.field(description="What happens now, for people.")


RequestDigitalInvoicesResult = result_union(
    "requestDigitalInvoices", RequestDigitalInvoicesPayload, digital.request_digital_invoices
)


# ---- changeInvoiceEmail ------------------------------------------------------------------------


@strawberry.input(
    description="Change the address digital invoices go to: the old address, the new one and "
    "the KVK number must all match the organisation."
)
class ChangeInvoiceEmailInput:
    old_email: str = strawberry.field(description="The address invoices go to now.")
    new_email: str = strawberry.field(description="The address they should go to.")
    kvk_number: str = strawberry.field(description="The organisation's KVK number.")


@strawberry.type(description="Changed; the old and the new address got a confirmation.")
class ChangeInvoiceEmailPayload:
    invoice_delivery: InvoiceDelivery = strawberry.field(description="How invoices go now.")
    message: str = strawberry.field(description="What happened, for people.")


ChangeInvoiceEmailResult = result_union(
    "changeInvoiceEmail", ChangeInvoiceEmailPayload, digital.change_invoice_email
)


# ---- requestInvoiceCopy ------------------------------------------------------------------------


@strawberry.input(description="Get an earlier invoice again, as PDF by e-mail.")
class RequestInvoiceCopyInput:
    invoice_number: str = strawberry.field(description="The invoice number, e.g. 2026-000123.")


@strawberry.type(description="The copy invoice was e-mailed.")
class RequestInvoiceCopyPayload:
    invoice: Invoice = strawberry.field(description="The invoice.")
    sent_to: str = strawberry.field(description="The address it was e-mailed to.")
    message: str = strawberry.field(description="What happened, for people.")


RequestInvoiceCopyResult = result_union(
    "requestInvoiceCopy", RequestInvoiceCopyPayload, copies.request_invoice_copy
)


# ---- staff: the monthly run ---------------------------------------------------------------------


@strawberry.enum(description="Where a monthly invoice run stands.")
class InvoiceRunStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Asked for; a worker takes it.")
    RUNNING = strawberry.enum_value("RUNNING", description="A worker is invoicing.")
    DONE = strawberry.enum_value("DONE", description="Done.")


@strawberry.enum(description="Who asked for an invoice run.")
class InvoiceRunSource(Enum):
    WORKER = strawberry.enum_value("WORKER", description="The worker, after the month ended.")
    STAFF = strawberry.enum_value("STAFF", description="Staff (staffRunInvoices).")
    COMMAND = strawberry.enum_value("COMMAND", description="toegang invoice-run.")


@strawberry.type(
    description="A monthly run: one invoice per payer for the month's direct-debit orders. "
    "A rerun issues only what is missing."
)
class InvoiceRun:
    month: str = strawberry.field(description="The month invoiced, as YYYY-MM.")
    status: InvoiceRunStatus = strawberry.field(description="Where it stands.")
    source: InvoiceRunSource = strawberry.field(description="Who asked for it.")
    requested_at: datetime = strawberry.field(description="When it was asked for.")
    started_at: datetime | None = strawberry.field(description="When a worker took it.")
    finished_at: datetime | None = strawberry.field(description="When it was done.")
    issued: int = strawberry.field(description="How many invoices it issued.")

    @classmethod
    def from_view(cls, view: monthly.RunView) -> InvoiceRun:
        return cls(
            month=monthly.month_text(view.month),
            status=InvoiceRunStatus(view.status.value),
            source=InvoiceRunSource(view.source.value),
            requested_at=view.requested_at,
            started_at=view.started_at,
            finished_at=view.finished_at,
            issued=view.issued,
        )


@strawberry.input(description="Invoice a month that has ended (the worker does it by itself).")
class StaffRunInvoicesInput:
    month: str = strawberry.field(description="The month, as YYYY-MM.")


@strawberry.type(description="The run is queued; a worker does it shortly.")
class StaffRunInvoicesPayload:
    run: InvoiceRun = strawberry.field(description="The run, as asked for.")
    message: str = strawberry.field(description="What happens now, for people.")


StaffRunInvoicesResult = result_union(
    "staffRunInvoices", StaffRunInvoicesPayload, monthly.request_run
)
