"""Collecting invoices: the direct-debit file each invoice went to the bank in, the
reminders and formal notices sent about it, and payments by bank transfer.

Each row is written once, complete, in the transaction of what it records, and never
changes (the migration installs the guard). Its unique constraints carry the rules: an
invoice is collected once (no second attempt), each kind of reminder is sent once, and an
invoice is paid by transfer once.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field
from gql.models.outbox import Channel


class SequenceType(StrEnum):
    """SEPA sequence type: a mandate's first collection, and the ones after it."""

    FRST = "FRST"
    RCUR = "RCUR"


class InvoiceCollection(SQLModel, table=True):
    """An invoice in a direct-debit file (pain.008): one attempt only."""

    __tablename__ = "invoice_collection"
    __table_args__ = (one_of("sequence_type", SequenceType, name="collection_sequence_known"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    bank_file_id: int = Field(foreign_key="bank_file.id", index=True)
    mandate_id: int = Field(foreign_key="direct_debit_mandate.id", index=True)
    sequence_type: SequenceType = text_enum_field(SequenceType, max_length=4)
    requested_on: date  # ReqdColltnDt
    amount_cents: int
    created_at: datetime = utc_field()


class ReminderKind(StrEnum):
    REMINDER = "REMINDER"  # betalingsherinnering
    FORMAL_NOTICE = "FORMAL_NOTICE"  # ingebrekestelling


class InvoiceReminder(SQLModel, table=True):
    """A reminder or formal notice about an open invoice, sent once (its PDF is stored)."""

    __tablename__ = "invoice_reminder"
    __table_args__ = (
        one_of("kind", ReminderKind, name="reminder_kind_known"),
        one_of("channel", Channel, name="reminder_channel_known"),
        UniqueConstraint("invoice_id", "kind", name="uq_invoice_reminder_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id")
    kind: ReminderKind = text_enum_field(ReminderKind, max_length=14)
    sent_at: datetime = utc_field()
    sent_on: date  # in Europe/Amsterdam: the next step counts its days from here
    channel: Channel = text_enum_field(Channel, max_length=5)
    file_id: int = Field(foreign_key="stored_file.id")


class TransferSource(StrEnum):
    CAMT_054 = "CAMT_054"  # the bank's credit notification
    STAFF = "STAFF"  # staffRecordTransfer


class InvoiceTransfer(SQLModel, table=True):
    """An invoice paid by bank transfer (after a failed collection, a reminder, ...)."""

    __tablename__ = "invoice_transfer"
    __table_args__ = (
        one_of("source", TransferSource, name="transfer_source_known"),
        CheckConstraint("amount_cents > 0", name="transfer_amount_positive"),
        CheckConstraint(
            "(source = 'STAFF') = (recorded_by_id IS NOT NULL)", name="transfer_staff_named"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    amount_cents: int
    received_on: date
    source: TransferSource = text_enum_field(TransferSource, max_length=10)
    # The imported notification (its stored file; its record is written after the import).
    file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="account.id")
    recorded_at: datetime = utc_field()
