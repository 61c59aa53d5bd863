"""The outbox: mails and letters written in the same transaction as their cause."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class Channel(StrEnum):
    """How a message (or an access code) reaches a person."""

    EMAIL = "EMAIL"
    POST = "POST"


class OutboxMessage(SQLModel, table=True):
    """A message to send: an e-mail, or a letter that goes by post (rendered as PDF)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        one_of("channel", Channel, name="channel_known"),
        Index("ix_outbox_due", "sent_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, max_length=200)
    channel: Channel = text_enum_field(Channel, max_length=5)
    template: str = Field(max_length=60)
    language: str = Field(max_length=2)
    recipient: str = Field(max_length=254)
    # Postal address lines for letters, newline separated.
    address: str = Field(default="", max_length=1000)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=20000)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    created_at: datetime = utc_field()
    next_attempt_at: datetime = utc_field()
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = utc_field(nullable=True, default=None)
    sent_at: datetime | None = utc_field(nullable=True, default=None)
    # A letter's PDF in the file store: rendered from the body when sent (kept for the
    # retention period), or a stored document sent as is (an invoice).
    file_id: int | None = Field(default=None, foreign_key="stored_file.id", ondelete="SET NULL")
    # How many files an e-mail carries (OutboxAttachment): a sender that cannot attach them
    # does not send it.
    attachment_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OutboxAttachment(SQLModel, table=True):
    """A stored file an e-mail carries, by reference: attached when the mail is sent, after
    its SHA-256 is checked, so the mail holds the stored file byte for byte."""

    __tablename__ = "outbox_attachment"
    __table_args__ = (UniqueConstraint("message_id", "position", name="uq_attachment_position"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", ondelete="CASCADE")
    position: int
    file_id: int = Field(foreign_key="stored_file.id")
    # The stored file's SHA-256 when the mail was queued: what must arrive.
    sha256: str = Field(max_length=64)
