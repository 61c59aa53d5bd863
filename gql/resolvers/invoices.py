"""Resolvers of the invoices domain: the invoices list and node, digital invoices, copies,
and the monthly run for staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.invoices import Invoice as InvoiceRow
from gql.models.invoices import InvoiceStatus as InvoiceStatusValue
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
    require_staff,
)
from gql.resolvers.node import register_node
from gql.schema.types import invoices as t
from gql.schema.types.common import Connection
from gql.schema.types.ids import to_global_id
from gql.services.invoices import copies, digital, monthly, reading
from gql.services.shared.formatting import format_month


def invoice_type(ctx: Context, view: reading.InvoiceView) -> t.Invoice:
    url, expires = download_link(ctx, view.file_id)
    direct_debit = view.payment_method.value == t.InvoicePaymentMethod.DIRECT_DEBIT.value
    return t.Invoice(
        id=to_global_id("Invoice", view.id),
        number=view.number,
        kind=t.InvoiceKind(view.kind.value),
        status=t.InvoiceStatus(view.status.value),
        issued_at=view.issued_at,
        issue_date=view.issue_date,
        due_date=view.due_date,
        month=monthly.month_text(view.month) if view.month else None,
        total_cents=view.total_cents,
        vat_cents=view.vat_cents,
        vat_statement=i18n.text("no_vat", ctx.language),
        payment_method=t.InvoicePaymentMethod(view.payment_method.value),
        paid_at=view.paid_at,
        payer_name=view.payer_name,
        address=view.address_lines,
        kvk_number=view.payer_kvk_number,
        delivery_channel=t.InvoiceDeliveryChannel(view.delivery_channel.value),
        mandate_reference=view.mandate_reference,
        mandate_signed_on=view.mandate_signed_on,
        iban_masked=view.iban_masked,
        collection_date=view.due_date if direct_debit else None,
        collection_status=t.CollectionStatus(view.collection_status.value)
        if view.collection_status
        else None,
        download_url=url,
        download_expires_at=expires,
        pk=view.id,
    )


async def list_invoices(
    info: Inf,
    status: Annotated[
        t.InvoiceStatus | None, strawberry.argument(description="Only invoices in this status.")
    ] = None,
    issued_from: Annotated[
        date | None,
        strawberry.argument(description="Issued on or after this day (Europe/Amsterdam)."),
    ] = None,
    issued_until: Annotated[
        date | None,
        strawberry.argument(description="Issued on or before this day (Europe/Amsterdam)."),
    ] = None,
    first: Annotated[int | None, FIRST] = 20,
    after: Annotated[str | None, AFTER] = None,
) -> Connection[t.Invoice]:
    ctx = info.context
    page = page_args(first, after, ctx.language)
    views = await reading.list_invoices(
        ctx.deps,
        caller=require_account(info),
        where=reading.InvoiceFilter(
            status=InvoiceStatusValue(status.name) if status else None,
            issued_from=issued_from,
            issued_until=issued_until,
        ),
        before_id=page.after_key,
        limit=page.limit + 1,
    )
    return connection(views, page, node=lambda v: invoice_type(ctx, v), key=lambda v: v.id)


async def invoice_delivery(info: Inf) -> t.InvoiceDelivery:
    ctx = info.context
    view = await reading.invoice_delivery(ctx.deps, caller=require_account(info))
    return t.InvoiceDelivery.from_view(view)


async def request_digital_invoices(
    info: Inf, input: Annotated[t.RequestDigitalInvoicesInput, INPUT]
) -> t.RequestDigitalInvoicesResult:
    ctx = info.context
    view = await digital.request_digital_invoices(
        ctx.deps, caller=require_account(info), email=input.email
    )
    return t.RequestDigitalInvoicesPayload(
        invoice_delivery=t.InvoiceDelivery.from_view(view),
        message=i18n.text("digital_invoices_requested", ctx.language, email=view.email),
    )


async def change_invoice_email(
    info: Inf, input: Annotated[t.ChangeInvoiceEmailInput, INPUT]
) -> t.ChangeInvoiceEmailResult:
    ctx = info.context
    view = await digital.change_invoice_email(
        ctx.deps,
        caller=require_account(info),
        old_email=input.old_email,
        new_email=input.new_email,
        kvk_number=input.kvk_number,
    )
    return t.ChangeInvoiceEmailPayload(
        invoice_delivery=t.InvoiceDelivery.from_view(view),
        message=i18n.text("invoice_email_changed", ctx.language, email=view.email),
    )


async def request_invoice_copy(
    info: Inf, input: Annotated[t.RequestInvoiceCopyInput, INPUT]
) -> t.RequestInvoiceCopyResult:
    ctx = info.context
    sent = await copies.request_invoice_copy(
        ctx.deps, caller=require_account(info), invoice_number=input.invoice_number
    )
    return t.RequestInvoiceCopyPayload(
        invoice=invoice_type(ctx, sent.invoice),
        sent_to=sent.sent_to,
        message=i18n.text(
            "invoice_copy_sent", ctx.language, number=sent.invoice.number, email=sent.sent_to
        ),
    )


async def staff_run_invoices(
    info: Inf, input: Annotated[t.StaffRunInvoicesInput, INPUT]
) -> t.StaffRunInvoicesResult:
    ctx = info.context
    view = await monthly.request_run(ctx.deps, caller=require_staff(info), month=input.month)
    return t.StaffRunInvoicesPayload(
        run=t.InvoiceRun.from_view(view),
        message=i18n.text(
            "invoice_run_requested",
            ctx.language,
            month=format_month(view.month, ctx.language),
        ),
    )


async def _load_invoice(ctx: Context, pk: int) -> t.Invoice | None:
    view = await reading.get_invoice(ctx.deps, caller=ctx.caller, invoice_id=pk)
    return invoice_type(ctx, view) if view else None


register_node("Invoice", table=InvoiceRow, load=_load_invoice)


@strawberry.type
class Query:
    invoices: Connection[t.Invoice] = strawberry.field(
        resolver=list_invoices,
        description="Your invoices, newest first: a private account's own, every invoice of "
        "the organisation for its main user; other codes of an organisation see none (an "
        "empty list). Dates are whole days in Europe/Amsterdam, inclusive. FORBIDDEN for "
        "staff.",
    )
    invoice_delivery: t.InvoiceDelivery = strawberry.field(
        resolver=invoice_delivery,
        description="How your organisation gets its invoices: by post or by e-mail (its "
        "main user only; FORBIDDEN for others).",
    )


@strawberry.type
class Mutation:
    request_digital_invoices: t.RequestDigitalInvoicesResult = mutation(
        request_digital_invoices,
        description="The organisation's main user: get invoices by e-mail (as PDF) from now "
        "on instead of by post. A confirmation goes to that address and to your own. Others: "
        "FORBIDDEN.",
    )
    change_invoice_email: t.ChangeInvoiceEmailResult = mutation(
        change_invoice_email,
        description="The organisation's main user: change the address digital invoices go "
        "to. The old address, the new one and the KVK number must all match the "
        "organisation, else InvoiceEmailMismatch (which does not say what differs) and "
        "nothing changes. Both addresses get a confirmation.",
    )
    request_invoice_copy: t.RequestInvoiceCopyResult = mutation(
        request_invoice_copy,
        description="E-mail a copy of one of your invoices as PDF: to the organisation's "
        "digital-invoice address when there is one, else to your own. Purchases paid with "
        "iDEAL or a credit card have no invoice (NotFound says so): the bank or card "
        "statement is the proof of payment.",
    )
    staff_run_invoices: t.StaffRunInvoicesResult = mutation(
        staff_run_invoices,
        description="Staff: queue the monthly invoice run of a month that has ended (audited); "
        "answered at once, a worker does it. A rerun issues only what is missing.",
    )


@strawberry.type
class StaffQuery:
    @strawberry.field(description="Monthly invoice runs, newest first.")
    async def invoice_runs(
        self,
        info: Inf,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.InvoiceRun]:
        require_staff(info)
        ctx = info.context
        page = page_args(first, after, ctx.language)
        views = await monthly.list_runs(ctx.deps, before_id=page.after_key, limit=page.limit + 1)
        return connection(views, page, node=t.InvoiceRun.from_view, key=lambda v: v.id)
