"""What kind of database this is: a development database may hold demo data, no other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import utc_field


class DatabaseMark(SQLModel, table=True):
    """One row, written by the migration that introduced it and never changed after.

    A database is a development database only when it was empty (or held nothing but the
    demo accounts) at that migration, run with TOEGANG_ENV=development.
    """

    __tablename__ = "database_mark"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    development: bool
    marked_at: datetime = utc_field()
