"""The staff audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from gql.models._base import utc_field


class AuditEvent(SQLModel, table=True):
    """Who did what, when and from where; append-only (database triggers refuse changes)."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="account.id", index=True)
    action: str = Field(max_length=80)
    subject: str = Field(max_length=120)
    details: str = Field(default="", max_length=2000)
    at: datetime = utc_field(index=True)
    client_ip: str = Field(max_length=45)
    request_id: str = Field(max_length=64)
