"""Idempotency keys: a retried request returns the first result instead of acting twice."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class KeyState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),
        one_of("state", KeyState, name="state_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Whose key it is: "account:12", or for anonymous purchases an HMAC of the e-mail.
    scope: str = Field(max_length=80)
    key: str = Field(max_length=100)
    operation: str = Field(max_length=60)
    input_hash: str = Field(max_length=64)
    state: KeyState = text_enum_field(KeyState, max_length=12, default=KeyState.IN_PROGRESS)
    # What the first request made ("payment:12"): a replay answers with it.
    result_ref: str | None = Field(default=None, max_length=80)
    created_at: datetime = utc_field(index=True)
    completed_at: datetime | None = utc_field(nullable=True, default=None)
