"""Maintenance windows: when ordering, top-ups and anonymous purchases pause (SPEC §3.6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import utc_field

NOTICE_MAX_LENGTH = 500


class MaintenanceWindow(SQLModel, table=True):
    """A period of maintenance that staff scheduled, with its notice in Dutch and English.

    Never removed: a window that will not happen is cancelled, so the audit trail's
    `maintenance_window:<id>` always points at a row.
    """

    __tablename__ = "maintenance_window"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "(cancelled_at IS NULL) = (cancelled_by_id IS NULL)", name="cancelled_by_someone"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = utc_field()
    # Every read asks for windows that have not ended yet.
    ends_at: datetime = utc_field(index=True)
    notice_nl: str = Field(max_length=NOTICE_MAX_LENGTH)
    notice_en: str = Field(max_length=NOTICE_MAX_LENGTH)
    # Null only for the window `toegang seed-demo` makes: the demo data has no staff member.
    created_by_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = utc_field()
    cancelled_at: datetime | None = utc_field(nullable=True, default=None)
    cancelled_by_id: int | None = Field(default=None, foreign_key="account.id")
