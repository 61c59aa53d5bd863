"""Throttling: counted events, shared by every app process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from gql.models._base import utc_field


class ThrottleHit(SQLModel, table=True):
    """One counted event (a failed sign-in, a mail sent) in a named bucket."""

    __tablename__ = "throttle_hit"
    __table_args__ = (Index("ix_throttle_bucket_key_at", "bucket", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40)
    key: str = Field(max_length=128)
    at: datetime = utc_field(index=True)
