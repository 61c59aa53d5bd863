"""Shared column helpers for the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from gql.db import UTCDateTime


def utc_field(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A timezone-aware UTC timestamp column."""
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index, **kwargs)


__all__ = ["datetime", "utc_field"]
