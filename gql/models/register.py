"""Companies of the Handelsregister, as far as Toegang needs them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import utc_field


class Company(SQLModel, table=True):
    """A company or organisation in the register, with its visiting and postal address."""

    __tablename__ = "company"
    __table_args__ = (CheckConstraint("length(kvk_number) = 8", name="kvk_number_8_digits"),)

    kvk_number: str = Field(primary_key=True, max_length=8)
    name: str = Field(max_length=200)
    legal_form: str = Field(max_length=80)
    email: str | None = Field(default=None, max_length=254)
    visiting_street: str = Field(max_length=120)
    visiting_house_number: str = Field(max_length=20)
    visiting_postal_code: str = Field(max_length=10)
    visiting_city: str = Field(max_length=80)
    postal_street: str | None = Field(default=None, max_length=120)
    postal_house_number: str | None = Field(default=None, max_length=20)
    postal_code: str | None = Field(default=None, max_length=10)
    postal_city: str | None = Field(default=None, max_length=80)
    updated_at: datetime = utc_field()
    # When it was entered in the register, and where its financial year ends ("MM-DD";
    # the calendar year unless the register says otherwise): the filing calendar.
    registered_on: date | None = None
    financial_year_end: str = Field(default="12-31", max_length=5)
    # Made by `toegang seed-demo`: only such companies get demo accounts attached.
    created_by_demo: bool = False
