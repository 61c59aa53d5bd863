"""The orders scenarios' SQL, answers and document, shared by both ceilings.

The statements are the ones the app sends for the request (checked at the driver against
sqlite3's trace): the orders page reads the session joined with its account, the account
(whose orders it sees), the page (limit + 1 rows), the page's products with their price now
and its companies, each once. placeOrder reads the account and the product with its price,
then in ONE write transaction claims the idempotency key, checks maintenance and the company,
inserts the order, debits the balance (a conditional UPDATE) and writes the ledger entry and
the key's completion; then reads the order, product and company, renders the same PDF (the
app's renderer, in a thread), and in a second write transaction stores the file (row and
chunk) and marks the order DELIVERED; last it reads the order as the answer shows it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import bindparam, insert, select, update

from gql.documents import products as documents
from gql.documents import render
from gql.models.accounts import Account
from gql.models.files import FileChunk, StoredFile
from gql.models.idempotency import IdempotencyRecord
from gql.models.ledger import Balance, LedgerEntry
from gql.models.mandates import DirectDebitMandate
from gql.models.orders import Order, Product, ProductPrice
from gql.models.register import Company
from gql.models.service import MaintenanceWindow

PAGE = 20
PUBLIC_URL = "http://127.0.0.1:8000"  # bench.env.make_settings
LANGUAGE = "nl"  # the bench sends no Accept-Language
OPERATION = "placeOrder"
CHUNK_BYTES = 1024 * 1024

account = Account.__table__  # type: ignore[attr-defined]
order = Order.__table__  # type: ignore[attr-defined]
mandate = DirectDebitMandate.__table__  # type: ignore[attr-defined]
product = Product.__table__  # type: ignore[attr-defined]
price = ProductPrice.__table__  # type: ignore[attr-defined]
company = Company.__table__  # type: ignore[attr-defined]
key_record = IdempotencyRecord.__table__  # type: ignore[attr-defined]
balance = Balance.__table__  # type: ignore[attr-defined]
ledger = LedgerEntry.__table__  # type: ignore[attr-defined]
window = MaintenanceWindow.__table__  # type: ignore[attr-defined]
stored_file = StoredFile.__table__  # type: ignore[attr-defined]
file_chunk = FileChunk.__table__  # type: ignore[attr-defined]

# ---- reading -----------------------------------------------------------------------------

SCOPE_SQL = select(
    account.c.usage, account.c.kvk_number, account.c.is_main_user, account.c.active
).where(account.c.id == bindparam("account_id"))
_ORDER_COLUMNS = select(
    order.c.id,
    order.c.reference,
    order.c.product_code,
    order.c.kvk_number,
    order.c.financial_year_end,
    order.c.price_cents,
    order.c.payment_method,
    mandate.c.reference.label("mandate_reference"),
    order.c.to_be_invoiced,
    order.c.status,
    order.c.placed_at,
    order.c.delivered_at,
    order.c.account_id,
    order.c.payer_kvk_number,
    order.c.file_id,
).select_from(order.outerjoin(mandate, mandate.c.id == order.c.mandate_id))
# Indexes into a row of _ORDER_COLUMNS.
O_ID, O_REFERENCE, O_PRODUCT, O_KVK, O_PRICE, O_STATUS, O_PLACED, O_FILE = 0, 1, 2, 3, 5, 9, 10, 14
ORGANISATION_PAGE_SQL = (
    _ORDER_COLUMNS.where(order.c.payer_kvk_number == bindparam("organisation"))
    .order_by(order.c.id.desc())
    .limit(bindparam("limit"))
)
OWN_PAGE_SQL = (
    _ORDER_COLUMNS.where(order.c.account_id == bindparam("account_id"))
    .order_by(order.c.id.desc())
    .limit(bindparam("limit"))
)
ORDER_VIEW_SQL = _ORDER_COLUMNS.where(order.c.id == bindparam("order_id"))

_PRICE_NOW = (
    select(price.c.price_cents)
    .where(price.c.product_code == product.c.code, price.c.valid_from <= bindparam("at"))
    .order_by(price.c.valid_from.desc())
    .limit(1)
    .correlate(product)
    .scalar_subquery()
)
_PRODUCT_COLUMNS = (
    product.c.code,
    product.c.kind,
    product.c.name_nl,
    product.c.name_en,
    product.c.description_nl,
    product.c.description_en,
    product.c.certified,
    product.c.digitally_signed,
    product.c.xbrl,
    product.c.anonymous,
    product.c.orderable,
    _PRICE_NOW.label("price_cents"),
)
# Indexes into a row of _PRODUCT_COLUMNS.
P_CODE, P_KIND, P_NAME_NL, P_NAME_EN, P_SIGNED, P_ORDERABLE, P_PRICE = 0, 1, 2, 3, 7, 10, 11
PRODUCTS_SQL = (
    select(*_PRODUCT_COLUMNS)
    .where(product.c.code.in_(bindparam("codes", expanding=True)))
    .order_by(product.c.position)
)
PRODUCT_SQL = select(*_PRODUCT_COLUMNS).where(product.c.code == bindparam("code"))
COMPANIES_SQL = select(company).where(
    company.c.kvk_number.in_(bindparam("kvk_numbers", expanding=True))
)
COMPANY_SQL = select(company).where(company.c.kvk_number == bindparam("kvk_number"))
# Indexes into a company row (the table's columns in order).
company_index = _COMPANY_INDEX = {c.name: i for i, c in enumerate(company.columns)}

# ---- placing -----------------------------------------------------------------------------
# INSERT and UPDATE take their values as b_<name> (a column's own name is reserved there).

ACCOUNT_SQL = select(account).where(account.c.id == bindparam("account_id"))
_ACCOUNT_INDEX = {c.name: i for i, c in enumerate(account.columns)}
KEY_SQL = select(key_record).where(
    key_record.c.scope == bindparam("scope"), key_record.c.key == bindparam("key")
)
CLAIM_SQL = insert(key_record).values(
    scope=bindparam("b_scope"),
    key=bindparam("b_key"),
    operation=bindparam("b_operation"),
    input_hash=bindparam("b_input_hash"),
    state="IN_PROGRESS",
    created_at=bindparam("b_now"),
)
MAINTENANCE_SQL = (
    select(window.c.notice_nl, window.c.notice_en, window.c.ends_at)
    .where(
        window.c.cancelled_at.is_(None),
        window.c.starts_at <= bindparam("now"),
        window.c.ends_at > bindparam("now"),
    )
    .order_by(window.c.ends_at.desc(), window.c.id.desc())
    .limit(1)
)
INSERT_ORDER_SQL = (
    insert(order)
    .values(
        reference=bindparam("b_reference"),
        product_code=bindparam("b_product_code"),
        kvk_number=bindparam("b_kvk_number"),
        price_cents=bindparam("b_price_cents"),
        account_id=bindparam("b_account_id"),
        payment_method="BALANCE",
        to_be_invoiced=False,
        language=bindparam("b_language"),
        status="PLACED",
        placed_at=bindparam("b_now"),
    )
    .returning(order.c.id)
)
DEBIT_SQL = (
    update(balance)
    .where(
        balance.c.account_id == bindparam("b_account_id"),
        balance.c.balance_cents - balance.c.held_cents >= bindparam("b_amount"),
    )
    .values(
        balance_cents=balance.c.balance_cents - bindparam("b_amount"), updated_at=bindparam("b_now")
    )
    .returning(balance.c.account_id)
)
LEDGER_SQL = insert(ledger).values(
    account_id=bindparam("b_account_id"),
    kind="ORDER",
    amount_cents=bindparam("b_amount"),
    held_delta_cents=0,
    order_id=bindparam("b_order_id"),
    created_at=bindparam("b_now"),
)
COMPLETE_SQL = (
    update(key_record)
    .where(key_record.c.scope == bindparam("b_scope"), key_record.c.key == bindparam("b_key"))
    .values(state="DONE", result_ref=bindparam("b_result_ref"), completed_at=bindparam("b_now"))
)
ORDER_ROW_SQL = select(order).where(order.c.id == bindparam("order_id"))
_ORDER_INDEX = {c.name: i for i, c in enumerate(order.columns)}
PRODUCT_ROW_SQL = select(product).where(product.c.code == bindparam("code"))
_PRODUCT_INDEX = {c.name: i for i, c in enumerate(product.columns)}
INSERT_FILE_SQL = (
    insert(stored_file)
    .values(
        sha256=bindparam("b_sha256"),
        size=bindparam("b_size"),
        chunks=bindparam("b_chunks"),
        content_type=bindparam("b_content_type"),
        filename=bindparam("b_filename"),
        owner_kind="order",
        created_at=bindparam("b_now"),
    )
    .returning(stored_file.c.id)
)
INSERT_CHUNK_SQL = insert(file_chunk).values(
    file_id=bindparam("b_file_id"), seq=bindparam("b_seq"), data=bindparam("b_data")
)
DELIVERED_SQL = (
    update(order)
    .where(order.c.id == bindparam("b_order_id"), order.c.status == "PLACED")
    .values(status="DELIVERED", file_id=bindparam("b_file_id"), delivered_at=bindparam("b_now"))
    .returning(order.c.id)
)


def b(**params: Any) -> dict[str, Any]:
    """Values for an INSERT or UPDATE above (b_<name>)."""
    return {f"b_{name}": value for name, value in params.items()}


# ---- answers -------------------------------------------------------------------------------


def global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def organisation_of(scope_row: Any) -> str | None:
    """A business main user sees its organisation's orders (the app's list_orders)."""
    usage, kvk_number, is_main_user = scope_row[0], scope_row[1], scope_row[2]
    return kvk_number if usage == "BUSINESS" and is_main_user else None


def distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def orders_json(
    rows: list[Any],
    products: dict[str, Any],
    companies: dict[str, Any],
    utc: Callable[[Any], datetime],
) -> bytes:
    """`orders(first: 20)` with each order's product (name in LANGUAGE, price now) and company."""
    name_at = P_NAME_NL if LANGUAGE == "nl" else P_NAME_EN
    kvk_at, name_of = _COMPANY_INDEX["kvk_number"], _COMPANY_INDEX["name"]
    edges = []
    for row in rows[:PAGE]:
        p = products[row[O_PRODUCT]]
        c = companies.get(row[O_KVK])
        edges.append(
            {
                "node": {
                    "id": global_id("Order", row[O_ID]),
                    "reference": row[O_REFERENCE],
                    "priceCents": row[O_PRICE],
                    "status": row[O_STATUS],
                    "placedAt": utc(row[O_PLACED]).isoformat(),
                    "product": {
                        "code": p[P_CODE],
                        "name": p[name_at],
                        "priceCents": p[P_PRICE],
                    },
                    "company": {"name": c[name_of], "kvkNumber": c[kvk_at]} if c else None,
                }
            }
        )
    return orjson.dumps({"data": {"orders": {"edges": edges}}})


_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(now: datetime) -> str:
    """An order number as the app makes it: the year and 8 random characters."""
    tail = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{now.astimezone(_AMSTERDAM).year}-{tail}"


def company_key(row: Any) -> str:
    return str(row[_COMPANY_INDEX["kvk_number"]])


def fingerprint(product_code: str, kvk_number: str) -> str:
    """The idempotency input hash, as gql.services.shared.idempotency makes it."""
    values = {"product": product_code, "kvk": kvk_number, "year": None}
    return hashlib.sha256(
        orjson.dumps([OPERATION, values], option=orjson.OPT_SORT_KEYS, default=str)
    ).hexdigest()


def account_field(row: Any, name: str) -> Any:
    return row[_ACCOUNT_INDEX[name]]


def render_document(
    order_row: Any, product_row: Any, company_row: Any, now: datetime
) -> tuple[bytes, str, str]:
    """(content, media type, file name): the app's renderer on the same facts (no seal: the
    scenario orders a plain extract)."""
    o, p, c = _ORDER_INDEX, _PRODUCT_INDEX, _COMPANY_INDEX
    assert not product_row[p["digitally_signed"]]
    postal = None
    if company_row[c["postal_code"]] and company_row[c["postal_city"]]:
        postal = documents.Address(
            street=company_row[c["postal_street"]] or "",
            house_number=company_row[c["postal_house_number"]] or "",
            postal_code=company_row[c["postal_code"]],
            city=company_row[c["postal_city"]],
        )
    registered_on = company_row[c["registered_on"]]
    if isinstance(registered_on, str):  # the raw SQLite driver returns text
        registered_on = datetime.fromisoformat(registered_on).date()
    made = render.render_product(
        documents.ProductDocument(
            code=documents.ProductCode(product_row[p["code"]]),
            name_nl=product_row[p["name_nl"]],
            name_en=product_row[p["name_en"]],
            company=documents.CompanySnapshot(
                kvk_number=company_row[c["kvk_number"]],
                name=company_row[c["name"]],
                legal_form=company_row[c["legal_form"]],
                visiting_address=documents.Address(
                    street=company_row[c["visiting_street"]],
                    house_number=company_row[c["visiting_house_number"]],
                    postal_code=company_row[c["visiting_postal_code"]],
                    city=company_row[c["visiting_city"]],
                ),
                postal_address=postal,
                registered_on=registered_on,
                financial_year_end=company_row[c["financial_year_end"]],
                email=company_row[c["email"]],
            ),
            extracted_at=now,
            order_reference=order_row[o["reference"]],
            language="en" if order_row[o["language"]] == "en" else "nl",
            financial_year_end=None,
            filed_report=None,
        ),
        seal=None,
    )
    return made.content, made.media_type, made.file_name


def place_order_json(view: Any, public_url: str, utc: Callable[[Any], datetime]) -> bytes:
    file_id = view[O_FILE]
    return orjson.dumps(
        {
            "data": {
                "placeOrder": {
                    "__typename": "PlaceOrderPayload",
                    "order": {
                        "id": global_id("Order", view[O_ID]),
                        "reference": view[O_REFERENCE],
                        "status": view[O_STATUS],
                        "priceCents": view[O_PRICE],
                        "placedAt": utc(view[O_PLACED]).isoformat(),
                        "downloadUrl": f"{public_url}/files/{file_id}" if file_id else None,
                    },
                }
            }
        }
    )


def error_json(code: str) -> bytes:
    return orjson.dumps({"data": None, "errors": [{"message": code}]})
