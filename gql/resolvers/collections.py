"""Resolvers of collecting invoices (staff): the direct-debit file, a transfer received."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import i18n
from gql.resolvers.bank_files import bank_file_type
from gql.resolvers.common import INPUT, Inf, mutation, require_staff
from gql.schema.types import collections as t
from gql.services.invoices import collections, transfers
from gql.services.shared.formatting import format_cents


async def staff_create_collections(
    info: Inf, input: Annotated[t.StaffCreateCollectionsInput, INPUT]
) -> t.StaffCreateCollectionsResult:
    ctx = info.context
    made = await collections.create_collections(
        ctx.deps, caller=require_staff(info), collection_date=input.collection_date
    )
    view = made.bank_file
    return t.StaffCreateCollectionsPayload(
        bank_file=bank_file_type(ctx, view),
        invoice_numbers=made.invoice_numbers,
        message=i18n.text(
            "collections_created",
            ctx.language,
            message_id=view.message_id,
            count=view.transactions,
            total=format_cents(view.total_cents, ctx.language),
        ),
    )


async def staff_record_transfer(
    info: Inf, input: Annotated[t.StaffRecordTransferInput, INPUT]
) -> t.StaffRecordTransferResult:
    ctx = info.context
    paid = await transfers.record_transfer(
        ctx.deps,
        caller=require_staff(info),
        invoice_number=input.invoice_number,
        amount_cents=input.amount_cents,
        received_on=input.received_on,
    )
    return t.StaffRecordTransferPayload(
        invoice_number=paid.number,
        message=i18n.text(
            "transfer_recorded",
            ctx.language,
            number=paid.number,
            amount=format_cents(paid.amount_cents, ctx.language),
        ),
    )


@strawberry.type
class Mutation:
    staff_create_collections: t.StaffCreateCollectionsResult = mutation(
        staff_create_collections,
        description="Staff: make the SEPA direct-debit file (pain.008) with every open "
        "direct-debit invoice due on or before the collection date and not yet submitted "
        "(audited); they become SUBMITTED, each in one file only. InvalidState when there is "
        "none.",
    )
    staff_record_transfer: t.StaffRecordTransferResult = mutation(
        staff_record_transfer,
        description="Staff: record a bank transfer that paid an open invoice in full (audited; "
        "the amount must be the invoice total). The invoice becomes PAID.",
    )
