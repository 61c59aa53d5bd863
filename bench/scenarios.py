"""What is measured: five requests, each against the GraphQL endpoint and a plain ceiling."""

from __future__ import annotations

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
    slow: bool = False  # argon2: fewer, smaller blocks


def _body(query: str, variables: dict[str, object] | None = None) -> bytes:
    payload: dict[str, object] = {"query": query}
    if variables:
        payload["variables"] = variables
    return orjson.dumps(payload)


def log_in_body(access_code: str) -> bytes:
    """logIn with ACCOUNT's password, for a bearer token (no cookie to carry)."""
    return _body(
        LOG_IN,
        {"input": {"accessCode": access_code, "password": ACCOUNT.password, "session": "TOKEN"}},
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
        "log_in",
        "logIn (argon2id m=64MiB t=3 p=4)",
        "account; argon2id verify; insert session",
        log_in_body(ACCOUNT.access_code),
        "/log-in",
        signed_in=False,
        slow=True,
    ),
]
