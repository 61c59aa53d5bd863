"""The catalog's reference data: gql/data/products.json, loaded by `toegang migrate`.

Products are brought in line with the file. Prices are keyed by (product, valid_from): a
new one is added; one whose moment has not come yet may still change or go; one already in
force never changes (an order keeps the price it was charged; a tariff change is a new row
with a later valid_from), and the load refuses a file that would change it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import delete, insert, inspect, select, update
from sqlalchemy.engine import Connection

from gql.models.orders import Product, ProductKind, ProductPrice

DATA = Path(__file__).resolve().parents[2] / "data" / "products.json"

_product = Product.__table__  # type: ignore[attr-defined]
_price = ProductPrice.__table__  # type: ignore[attr-defined]


class CatalogDataError(ValueError):
    pass


def read_catalog(path: Path = DATA) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(product rows, price rows) of the data file, prices with valid_from in UTC."""
    data = orjson.loads(path.read_bytes())
    zone = ZoneInfo(data["time_zone"])
    products: list[dict[str, Any]] = []
    prices: list[dict[str, Any]] = []
    for position, item in enumerate(data["products"]):
        code = item["code"]
        products.append(
            {
                "code": code,
                "position": position,
                "kind": ProductKind(item["kind"]),
                "name_nl": item["name"]["nl"],
                "name_en": item["name"]["en"],
                "description_nl": item["description"]["nl"],
                "description_en": item["description"]["en"],
                "certified": bool(item.get("certified", False)),
                "digitally_signed": bool(item.get("digitally_signed", False)),
                "xbrl": bool(item.get("xbrl", False)),
                "anonymous": bool(item.get("anonymous", False)),
                "orderable": bool(item.get("orderable", True)),
            }
        )
        if not item["prices"]:
            raise CatalogDataError(f"{code}: no price")
        for price in item["prices"]:
            cents = price["price_cents"]
            if not isinstance(cents, int) or cents < 0:
                raise CatalogDataError(f"{code}: price_cents must be whole cents ≥ 0")
            local = datetime.fromisoformat(price["valid_from"])
            if local.tzinfo is not None:
                raise CatalogDataError(f"{code}: valid_from is local time, without an offset")
            prices.append(
                {
                    "product_code": code,
                    "valid_from": local.replace(tzinfo=zone).astimezone(UTC),
                    "price_cents": cents,
                }
            )
    return products, prices


def load_catalog(connection: Connection, *, now: datetime, path: Path = DATA) -> None:
    """Bring the product tables in line with the data file (inside the migration's
    transaction). Nothing happens before the migration that makes the tables."""
    if not inspect(connection).has_table("product_price"):
        return
    products, prices = read_catalog(path)
    known = {row.code for row in connection.execute(select(_product.c.code))}
    for product in products:
        if product["code"] in known:
            connection.execute(
                update(_product).where(_product.c.code == product["code"]).values(**product)
            )
        else:
            connection.execute(insert(_product).values(**product))
    stored = {
        (row.product_code, _utc(row.valid_from)): row for row in connection.execute(select(_price))
    }
    wanted = {(p["product_code"], p["valid_from"]): p for p in prices}
    for key, row in stored.items():
        price = wanted.get(key)
        in_force = key[1] <= now
        if price is not None and price["price_cents"] == row.price_cents:
            continue
        if in_force:
            raise CatalogDataError(
                f"{key[0]}: the price from {key[1].isoformat()} is in force and cannot "
                "change or go; add a price with a later valid_from"
            )
        if price is None:
            connection.execute(delete(_price).where(_price.c.id == row.id))
        else:
            connection.execute(
                update(_price).where(_price.c.id == row.id).values(price_cents=price["price_cents"])
            )
    for key, price in wanted.items():
        if key not in stored:
            connection.execute(insert(_price).values(**price))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
