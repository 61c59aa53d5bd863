"""Types of collecting invoices (staff): the direct-debit file and transfers recorded."""

from __future__ import annotations

from datetime import date

import strawberry

from gql.schema.types.bank_files import BankFile
from gql.schema.types.errors import result_union
from gql.services.invoices import collections, transfers

# ---- staffCreateCollections ----------------------------------------------------------------


@strawberry.input(description="Collect the open direct-debit invoices that are due.")
class StaffCreateCollectionsInput:
    collection_date: date | None = strawberry.field(
        default=None,
        description="Collect every open direct-debit invoice due on or before this day "
        "(Europe/Amsterdam; default today, at most 60 days ahead). Each is asked to be "
        "collected on its due date (today when that has passed).",
    )


@strawberry.type(description="The direct-debit file with the invoices that are due, made.")
class StaffCreateCollectionsPayload:
    bank_file: BankFile = strawberry.field(description="The pain.008 file's record.")
    invoice_numbers: list[str] = strawberry.field(
        description="The invoices it collects (now SUBMITTED), by due date."
    )
    message: str = strawberry.field(description="What was done, for people to read.")


StaffCreateCollectionsResult = result_union(
    "staffCreateCollections", StaffCreateCollectionsPayload, collections.create_collections
)


# ---- staffRecordTransfer -------------------------------------------------------------------


@strawberry.input(description="A bank transfer that paid an invoice, seen outside camt.054.")
class StaffRecordTransferInput:
    invoice_number: str = strawberry.field(description="The invoice paid, like 2026-000123.")
    amount_cents: int = strawberry.field(description="The amount received: the invoice total.")
    received_on: date = strawberry.field(
        description="The day the money was received (Europe/Amsterdam; not in the future)."
    )


@strawberry.type(description="The invoice is paid by the transfer.")
class StaffRecordTransferPayload:
    invoice_number: str = strawberry.field(description="The invoice, now PAID.")
    message: str = strawberry.field(description="What was done, for people to read.")


StaffRecordTransferResult = result_union(
    "staffRecordTransfer", StaffRecordTransferPayload, transfers.record_transfer
)
