"""Types of the bank files: the SEPA files made and imported, for staff."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.services.bank_files import imports
from gql.services.ledger import payouts


@strawberry.enum(description="The kind of bank file (ISO 20022 message).")
class BankFileKind(Enum):
    PAIN_001 = strawberry.enum_value(
        "PAIN_001", description="Credit transfers (refund payouts), made for the bank."
    )
    PAIN_008 = strawberry.enum_value(
        "PAIN_008", description="Direct debits (invoice collections), made for the bank."
    )
    PAIN_002 = strawberry.enum_value(
        "PAIN_002", description="The bank's status report on a file made here, imported."
    )
    CAMT_054 = strawberry.enum_value(
        "CAMT_054", description="The bank's debit/credit notification, imported."
    )


@strawberry.enum(description="Which way a bank file went.")
class BankFileDirection(Enum):
    OUT = strawberry.enum_value("OUT", description="Made here, for the bank.")
    IN = strawberry.enum_value("IN", description="From the bank, imported.")


@strawberry.type(description="What an import did with one transaction the file reports on.")
class BankFileChange:
    reference: str = strawberry.field(
        description="The transaction's end-to-end id (REFUND-12, an invoice number)."
    )
    result: str = strawberry.field(
        description="What it is now: RETURNED, ACCEPTED, UNKNOWN (not in the original file), "
        "or the status it already had."
    )
    reason_code: str | None = strawberry.field(
        description="The bank's reason code (ISO 20022, e.g. AC04: account closed), if given."
    )
    changed: bool = strawberry.field(description="Whether this import changed anything for it.")


@strawberry.type(description="A SEPA file made for or imported from the bank; never changed.")
class BankFile(Node):
    kind: BankFileKind = strawberry.field(description="The ISO 20022 message.")
    direction: BankFileDirection = strawberry.field(description="Made here, or imported.")
    message_id: str = strawberry.field(description="Its message identification (GrpHdr/MsgId).")
    original_message_id: str | None = strawberry.field(
        description="An import: the message identification of the file it reports on."
    )
    created_at: datetime = strawberry.field(description="When it was made or imported.")
    created_by: str = strawberry.field(
        description="The staff member who made or imported it, or the command: cli, worker."
    )
    filename: str = strawberry.field(description="The name it downloads as.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the file as stored (hex).")
    transaction_count: int = strawberry.field(
        description="Transactions in the file (made), or reported on (imported)."
    )
    total_cents: int = strawberry.field(
        description="Their sum in cents (imported: of the transactions it could match)."
    )
    changes: list[BankFileChange] = strawberry.field(
        description="An import: what it did, transaction by transaction (empty when made here)."
    )
    download_url: str = strawberry.field(
        description="Where to download it (staff only): with the session cookie in a browser; "
        "for bearer-token clients a signed link that works for a few minutes."
    )
    download_expires_at: datetime | None = strawberry.field(
        description="When a signed download link stops working (null for cookie sessions)."
    )


# ---- staffImportBankFile -------------------------------------------------------------------


@strawberry.input(description="A file from the bank to import.")
class StaffImportBankFileInput:
    file: Upload = strawberry.field(
        description="The file, sent as a multipart request (GraphQL multipart request spec): "
        "a status report (pain.002) or a debit/credit notification (camt.054), ISO 20022 XML."
    )


@strawberry.type(description="Imported (or seen before): the file's record and what it did.")
class StaffImportBankFilePayload:
    bank_file: BankFile = strawberry.field(description="The file's record, with its changes.")
    already_imported: bool = strawberry.field(
        description="True: the same file (bytes or message id) was imported before, and "
        "nothing was changed now; bankFile is that earlier import."
    )
    message: str = strawberry.field(description="What was done, for people to read.")


StaffImportBankFileResult = result_union(
    "staffImportBankFile", StaffImportBankFilePayload, imports.import_bank_file
)


# ---- staffCreateRefundPayouts --------------------------------------------------------------


@strawberry.input(description="Pay the approved refunds out: when the bank should do it.")
class StaffCreateRefundPayoutsInput:
    execution_date: date | None = strawberry.field(
        default=None,
        description="The day the bank is asked to execute the transfers (Europe/Amsterdam): "
        "today (the default) or a later day, at most 60 days ahead.",
    )


@strawberry.type(description="The credit-transfer file with every approved refund, made.")
class StaffCreateRefundPayoutsPayload:
    bank_file: BankFile = strawberry.field(description="The pain.001 file's record.")
    refund_request_ids: list[strawberry.ID] = strawberry.field(
        description="The refunds it pays out (now PAID_OUT)."
    )
    message: str = strawberry.field(description="What was done, for people to read.")


StaffCreateRefundPayoutsResult = result_union(
    "staffCreateRefundPayouts", StaffCreateRefundPayoutsPayload, payouts.create_refund_payouts
)
