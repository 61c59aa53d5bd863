"""Shared column helpers for the tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from gql.db import TextEnum, UTCDateTime


def utc_field(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A timezone-aware UTC timestamp column."""
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index, **kwargs)


def text_enum_field(enum: type[StrEnum], *, max_length: int, **kwargs: Any) -> Any:
    """An enum stored as its text value (a CHECK from `one_of` keeps it to the values)."""
    return Field(sa_type=TextEnum(enum, max_length), **kwargs)


def one_of(column: str, values: type[StrEnum], *, name: str, nullable: bool = False) -> Any:
    """A CHECK that a text column holds one of an enum's values (NULL too when nullable)."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    condition = f"{column} IN ({listed})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=name)


__all__ = ["datetime", "one_of", "text_enum_field", "utc_field"]
