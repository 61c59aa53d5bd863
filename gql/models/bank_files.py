"""Bank files: every SEPA file the service makes (pain.001, pain.008) or imports (pain.002,
camt.054), kept in the file store and recorded once, complete (a row never changes).

The message id is unique per kind, and so is the file's SHA-256: an import of a file seen
before is recognised, also when two imports of it run at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class BankFileKind(StrEnum):
    PAIN_001 = "PAIN_001"  # credit transfers (refund payouts), made here
    PAIN_008 = "PAIN_008"  # direct debits (invoice collections), made here
    PAIN_002 = "PAIN_002"  # the bank's status report on one of those, imported
    CAMT_054 = "CAMT_054"  # the bank's debit/credit notification, imported


class BankFileDirection(StrEnum):
    OUT = "OUT"  # made here, for the bank
    IN = "IN"  # from the bank, imported


class BankFileChannel(StrEnum):
    """Who made or imported it: a staff member (named by `created_by_id`) or a command."""

    STAFF = "STAFF"
    CLI = "CLI"
    WORKER = "WORKER"


class BankFile(SQLModel, table=True):
    __tablename__ = "bank_file"
    __table_args__ = (
        one_of("kind", BankFileKind, name="bank_file_kind_known"),
        one_of("direction", BankFileDirection, name="bank_file_direction_known"),
        one_of("channel", BankFileChannel, name="bank_file_channel_known"),
        CheckConstraint("(channel = 'STAFF') = (created_by_id IS NOT NULL)", name="staff_named"),
        CheckConstraint(
            "(direction = 'OUT') = (kind IN ('PAIN_001', 'PAIN_008'))", name="direction_of_kind"
        ),
        CheckConstraint("transactions >= 0 AND total_cents >= 0", name="summary_not_negative"),
        UniqueConstraint("kind", "message_id", name="uq_bank_file_message"),
        UniqueConstraint("sha256", name="uq_bank_file_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: BankFileKind = text_enum_field(BankFileKind, max_length=10, index=True)
    direction: BankFileDirection = text_enum_field(BankFileDirection, max_length=3)
    # GrpHdr/MsgId: ours for a file made here, the bank's for an import (ISO: 35 at most).
    message_id: str = Field(max_length=35)
    # An import: the message it reports on (OrgnlGrpInfAndSts/OrgnlMsgId), when it names one.
    original_message_id: str | None = Field(default=None, max_length=35)
    file_id: int = Field(foreign_key="stored_file.id", unique=True)
    sha256: str = Field(max_length=64)
    created_at: datetime = utc_field()
    channel: BankFileChannel = text_enum_field(BankFileChannel, max_length=6)
    created_by_id: int | None = Field(default=None, foreign_key="account.id")
    # The summary: transactions in the file (made) or reported on (imported), and their sum.
    transactions: int = 0
    total_cents: int = Field(default=0, sa_type=BigInteger)
    # An import: what it changed, as JSON [{"reference", "result", "reason"}]; "[]" otherwise.
    changes: str = "[]"
