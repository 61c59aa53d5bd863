"""What is measured: nine requests, each against the GraphQL endpoint and plain ceilings."""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from bench.env import ACCOUNT

VIEWER = (
    "query Viewer { viewer { id accessCode usage name email kvkNumber isMainUser "
    "sessionExpiresAt } }"
)
VIEWER_COMPANY = (
    "query ViewerCompany { viewer { name company { name legalForm visitingAddress { city } } } }"
)
VIEWER_NAME = "query ViewerName { viewer { name } }"
TYPENAME = "{ __typename }"
ORDERS = (
    "query Orders { orders(first: 20) { edges { node { id reference priceCents status placedAt "
    "product { code name priceCents } company { name kvkNumber } } } } }"
)
PLACE_ORDER = (
    "mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename "
    "... on PlaceOrderPayload { order { id reference status priceCents placedAt downloadUrl } } "
    "... on Error { code } } }"
)
PRODUCTS = (
    "query Products { products { code name description priceCents vatCents vatStatement "
    "needsFinancialYearEnd anonymousPurchase orderable } }"
)
PRODUCTS_QUERY_STRING = urllib.parse.urlencode({"query": PRODUCTS})
# placeOrder: a plain extract (no seal) about a demo company.
ORDER_PRODUCT = "EXTRACT"
ORDER_KVK = "90000002"
LOG_IN = (
    "mutation LogIn($input: LogInInput!) { logIn(input: $input) { __typename "
    "... on LogInPayload { token expiresAt viewer { name } } ... on Error { code } } }"
)


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str  # for the table
    reads: str  # what the request reads, in words
    body: bytes  # the GraphQL request (JSON)
    ceiling_path: str  # the plain endpoint that does the same work
    signed_in: bool
    slow: bool = False  # argon2, documents: fewer, smaller blocks, measured in the first run
    block: int | None = None  # a slow scenario's requests per block (default --slow-block)
    buyer: bool = False  # signed in as the private buyer (World.buyer_token), not ACCOUNT
    # The sides beside GraphQL: "ceiling" (the engine), "raw" (the driver), "bare" (strawberry)
    sides: tuple[str, ...] = ("ceiling", "raw", "bare")
    # A new body for every request (placeOrder: a new idempotency key each time, or the one
    # given: over HTTP a placeholder the load generator replaces).
    fresh_body: Callable[[str | None], bytes] | None = None
    varying: frozenset[str] = frozenset()  # answer fields that differ from call to call
    # GET: the document in the query string instead of a body (anonymous public reads).
    method: str = "POST"
    query_string: str = ""
    # Send the ETag of a first answer as If-None-Match: every measured request is a 304.
    revalidate: bool = False

    @property
    def status(self) -> int:
        return 304 if self.revalidate else 200

    def next_body(self) -> bytes:
        return self.fresh_body(None) if self.fresh_body is not None else self.body

    def keyed_body(self, key: str) -> bytes:
        assert self.fresh_body is not None
        return self.fresh_body(key)


def _body(query: str, variables: dict[str, object] | None = None) -> bytes:
    payload: dict[str, object] = {"query": query}
    if variables:
        payload["variables"] = variables
    return orjson.dumps(payload)


def log_in_body(access_code: str) -> bytes:
    """logIn with ACCOUNT's password, for a bearer token (no cookie to carry)."""
    return _body(
        LOG_IN,
        {
            "input": {
                "accessCode": access_code,
                "password": ACCOUNT.password,
                "session": "TOKEN",
                "deviceName": "bench",
            }
        },
    )


def place_order_body(key: str | None = None) -> bytes:
    """placeOrder of ORDER_PRODUCT about ORDER_KVK with a new idempotency key."""
    return _body(
        PLACE_ORDER,
        {
            "input": {
                "productCode": ORDER_PRODUCT,
                "kvkNumber": ORDER_KVK,
                "idempotencyKey": key or str(uuid.uuid4()),
            }
        },
    )


SCENARIOS = [
    Scenario(
        "typename",
        "{ __typename }",
        "nothing",
        _body(TYPENAME),
        "/typename",
        signed_in=False,
    ),
    Scenario(
        "products_get",
        "products over GET, anonymous",
        "the catalog with prices now (the ETag from memory)",
        b"",
        "",
        signed_in=False,
        sides=(),
        method="GET",
        query_string=PRODUCTS_QUERY_STRING,
    ),
    Scenario(
        "products_304",
        "products over GET, If-None-Match: 304",
        "nothing (the ETag from memory; the document does not run)",
        b"",
        "",
        signed_in=False,
        sides=(),
        method="GET",
        query_string=PRODUCTS_QUERY_STRING,
        revalidate=True,
    ),
    Scenario(
        "anonymous",
        "viewer { name }, anonymous",
        "nothing (no session cookie)",
        _body(VIEWER_NAME),
        "/viewer-name",
        signed_in=False,
    ),
    Scenario(
        "viewer",
        "viewer (8 fields), signed in",
        "session joined with account",
        _body(VIEWER),
        "/viewer",
        signed_in=True,
    ),
    Scenario(
        "viewer_company",
        "viewer + company, signed in",
        "session joined with account; company",
        _body(VIEWER_COMPANY),
        "/viewer-company",
        signed_in=True,
    ),
    Scenario(
        "orders",
        "orders page of 20 + relations",
        "session joined with account; account; 21 orders; their products; their companies",
        _body(ORDERS),
        "/orders",
        signed_in=True,
    ),
    Scenario(
        "place_order",
        "placeOrder (balance, PDF stored)",
        "session; account; product; write: key, order, balance, ledger; "
        "order, product, company; PDF; write: file, order; the order",
        place_order_body("warm-up"),
        "/place-order",
        signed_in=True,
        slow=True,
        block=5,
        buyer=True,
        sides=("ceiling", "raw"),
        fresh_body=place_order_body,
        varying=frozenset({"id", "reference", "placedAt", "downloadUrl"}),
    ),
    Scenario(
        "log_in",
        "logIn (argon2id m=64MiB t=3 p=4)",
        "account; argon2id verify; insert session",
        log_in_body(ACCOUNT.access_code),
        "/log-in",
        signed_in=False,
        slow=True,
        sides=("ceiling",),
    ),
]
