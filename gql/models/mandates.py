"""Direct-debit mandates: the payment method of an organisation or private account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from gql.models._base import utc_field


class DirectDebitMandate(SQLModel, table=True):
    """A signed SEPA mandate with a unique reference; one active per holder."""

    __tablename__ = "direct_debit_mandate"
    __table_args__ = (
        CheckConstraint(
            "(kvk_number IS NULL) != (account_id IS NULL)", name="mandate_has_one_owner"
        ),
        Index(
            "uq_mandate_active_company",
            "kvk_number",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        # One active mandate per private account too.
        Index(
            "uq_mandate_active_account",
            "account_id",
            unique=True,
            sqlite_where=text("active AND account_id IS NOT NULL"),
            postgresql_where=text("active AND account_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=35)
    kvk_number: str | None = Field(default=None, foreign_key="company.kvk_number")
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    iban: str = Field(max_length=34)
    account_holder: str = Field(max_length=200)
    signed_at: datetime = utc_field()
    active: bool = True
