"""Questions to the service centre (the question form, "stel een vraag online")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field

TEXT_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 4000


class QuestionTopic(StrEnum):
    """The topics of the service centre's question form."""

    ACCESS_CODE = "ACCESS_CODE"
    ORDERS_AND_INVOICES = "ORDERS_AND_INVOICES"
    INVOICE_ADDRESS = "INVOICE_ADDRESS"  # with the old and the new invoice address
    PAYMENT_METHOD = "PAYMENT_METHOD"
    ANNUAL_ACCOUNTS = "ANNUAL_ACCOUNTS"
    OTHER = "OTHER"


class QuestionStatus(StrEnum):
    OPEN = "OPEN"
    ANSWERED = "ANSWERED"


class Question(SQLModel, table=True):
    """A question of a signed-in account, and the service centre's one answer to it."""

    __tablename__ = "question"
    __table_args__ = (
        one_of("topic", QuestionTopic, name="topic_known"),
        one_of("status", QuestionStatus, name="status_known"),
        # An invoice-address question carries both addresses, any other question neither.
        CheckConstraint(
            "(topic = 'INVOICE_ADDRESS') = (old_city IS NOT NULL)", name="old_address_for_topic"
        ),
        CheckConstraint(
            "(topic = 'INVOICE_ADDRESS') = (new_city IS NOT NULL)", name="new_address_for_topic"
        ),
        CheckConstraint(
            "(status = 'ANSWERED') = (answer IS NOT NULL AND answered_at IS NOT NULL)",
            name="answered_has_answer",
        ),
        # The customer's list, newest first; the staff queue per status.
        Index("ix_question_account", "account_id", "id"),
        Index("ix_question_status", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    topic: QuestionTopic = text_enum_field(QuestionTopic, max_length=24)
    text: str = Field(max_length=TEXT_MAX_LENGTH)
    old_street: str | None = Field(default=None, max_length=120)
    old_house_number: str | None = Field(default=None, max_length=20)
    old_postal_code: str | None = Field(default=None, max_length=7)
    old_city: str | None = Field(default=None, max_length=80)
    new_street: str | None = Field(default=None, max_length=120)
    new_house_number: str | None = Field(default=None, max_length=20)
    new_postal_code: str | None = Field(default=None, max_length=7)
    new_city: str | None = Field(default=None, max_length=80)
    status: QuestionStatus = text_enum_field(
        QuestionStatus, max_length=10, default=QuestionStatus.OPEN
    )
    asked_at: datetime = utc_field()
    answer: str | None = Field(default=None, max_length=ANSWER_MAX_LENGTH)
    answered_at: datetime | None = utc_field(nullable=True, default=None)
    answered_by_id: int | None = Field(default=None, foreign_key="account.id")
