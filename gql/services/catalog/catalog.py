"""The catalog: register products with their price at a moment (SPEC §3.2).

No VAT (btw) is charged on any product. A product's price is the one with the latest
`valid_from` at or before the moment asked about, so a tariff change takes effect exactly
then; an order keeps the price it was charged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.models.orders import Product, ProductKind, ProductPrice
from gql.reader import Read
from gql.services.shared.deps import Deps

_product = Product.__table__  # type: ignore[attr-defined]
_price = ProductPrice.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ProductView:
    code: str
    kind: ProductKind
    name_nl: str
    name_en: str
    description_nl: str
    description_en: str
    certified: bool
    digitally_signed: bool
    xbrl: bool
    anonymous: bool
    orderable: bool
    price_cents: int | None  # None before its first price takes effect

    def name(self, language: str) -> str:
        return self.name_nl if language == "nl" else self.name_en

    def description(self, language: str) -> str:
        return self.description_nl if language == "nl" else self.description_en

    @property
    def needs_financial_year(self) -> bool:
        return self.kind == ProductKind.FILED


def _current_price(at: Any) -> Any:
    """The price in force at `at` of the product of the outer row (a scalar subquery)."""
    return (
        select(_price.c.price_cents)
        .where(_price.c.product_code == _product.c.code, _price.c.valid_from <= at)
        .order_by(_price.c.valid_from.desc())
        .limit(1)
        .correlate(_product)
        .scalar_subquery()
    )


_COLUMNS = (
    _product.c.code,
    _product.c.kind,
    _product.c.name_nl,
    _product.c.name_en,
    _product.c.description_nl,
    _product.c.description_en,
    _product.c.certified,
    _product.c.digitally_signed,
    _product.c.xbrl,
    _product.c.anonymous,
    _product.c.orderable,
    _current_price(bindparam("at")).label("price_cents"),
)
_ALL = Read(select(*_COLUMNS).order_by(_product.c.position))
_BY_CODES = Read(
    select(*_COLUMNS)
    .where(_product.c.code.in_(bindparam("codes", expanding=True)))
    .order_by(_product.c.position)
)


_EVERY_PRODUCT = Read(select(*_product.c).order_by(_product.c.code))
_EVERY_PRICE = Read(
    select(_price.c.product_code, _price.c.valid_from, _price.c.price_cents).order_by(
        _price.c.valid_from, _price.c.product_code
    )
)


@dataclass(frozen=True, slots=True)
class CatalogVersion:
    #: A digest of every product and every price, past and future: alike in every process.
    digest: str
    #: Every moment a price takes effect, in order.
    price_moments: tuple[datetime, ...]


def _view(row: Any) -> ProductView:
    return ProductView(**{**row._asdict(), "kind": ProductKind(row.kind)})


async def list_products(deps: Deps, *, at: datetime) -> list[ProductView]:
    """Every product in catalog order, with its price at `at`."""
    return [_view(row) for row in await deps.db.reader.all(_ALL, at=at)]


async def catalog_version(deps: Deps) -> CatalogVersion:
    """What the product list depends on besides the moment (for an ETag): two statements."""
    products = await deps.db.reader.all(_EVERY_PRODUCT)
    prices = await deps.db.reader.all(_EVERY_PRICE)
    digest = hashlib.sha256(
        repr(([tuple(r) for r in products], [tuple(r) for r in prices])).encode()
    )
    return CatalogVersion(digest.hexdigest(), tuple(sorted({r.valid_from for r in prices})))


async def products_by_code(deps: Deps, *, codes: list[str], at: datetime) -> dict[str, ProductView]:
    """Products by code in one statement (a DataLoader batch)."""
    rows = await deps.db.reader.all(_BY_CODES, codes=codes, at=at)
    return {row.code: _view(row) for row in rows}


async def product_for_order(
    session: AsyncSession, code: str, *, at: datetime
) -> ProductView | None:
    """A product and its price at `at`, inside an order's write transaction."""
    row = (
        await session.execute(select(*_COLUMNS).where(_product.c.code == code), {"at": at})
    ).first()
    return _view(row) if row else None
