"""The schema fuzzed over real HTTP (issue 13): schemathesis generates every query and mutation
with generated arguments, sent anonymously and as a private account, a business main user and
a staff member to a `toegang serve` process; fuzz/runner.py judges every answer (its docstring
says what counts as a failure).

Bounded for `make test`: TOEGANG_FUZZ_EXAMPLES valid documents (default 4) and one ill-typed
document per operation and caller (about 900 requests, some 20 s), derandomized, so CI sends
the same documents every run.
Longer runs: `python -m fuzz` against any server (fuzz/__main__.py).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from fuzz.runner import Caller, fuzz, judge, load_operations, sign_in_with
from gql import demo
from gql.clock import Clock
from gql.db import Database
from gql.services.accounts import staff_accounts
from gql.services.shared.deps import Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings
from tests.payments.support import sqlite_only
from tests.support.live import LiveServer, free_port, live_server, server_env

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("TOEGANG_FUZZ_EXAMPLES", "4"))
STAFF_PASSWORD = "paarse olifanten dansen op het dak"


async def _seed(env: dict[str, str], secret: str) -> str:
    """The demo data (`toegang seed-demo`) and a staff member, in process (two CLI processes
    would add seconds); returns the staff member's access code."""
    deps = Deps(
        db=Database(env["TOEGANG_DATABASE_URL"]),
        hashing=PasswordHashing(HashParameters(19456, 2, 1), concurrency=1),
        clock=Clock(),
        settings=Settings.from_env(env),
    )
    try:
        await demo.seed(deps)
        return await staff_accounts.create_staff(
            deps,
            name="Sam Medewerker",
            email="sam@kvk.example",
            password=STAFF_PASSWORD,
            totp_secret=secret,
        )
    finally:
        await deps.db.dispose()


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, list[Caller]]]:
    env = server_env(database_url=sqlite_url, data_dir=tmp_path / "data", port=free_port())
    secret = pyotp.random_base32()
    code = asyncio.run(_seed(env, secret))
    private, business = demo.DEMO_ACCOUNTS
    callers = [
        Caller("anonymous"),
        Caller("private", sign_in_with(private.access_code, private.password)),
        Caller("business", sign_in_with(business.access_code, business.password)),
        Caller(
            "staff",
            sign_in_with(code, STAFF_PASSWORD, pyotp.TOTP(secret).now),
            skip=frozenset({"logOut"}),
        ),
    ]
    with live_server(env, log_path=tmp_path / "server.log") as running:
        yield running, callers


@sqlite_only
def test_every_query_and_mutation_with_generated_input_answers_without_server_errors_or_leaks(
    backend: str, server: tuple[LiveServer, list[Caller]]
) -> None:
    # given: a server with the demo accounts, a staff member, and the callers signed in
    live, callers = server
    url = f"{live.url}/graphql"

    # when: every operation is sent with generated input as every caller
    report = fuzz(url, callers, examples=EXAMPLES, negative_examples=1)

    # then: no server error, no leak, no error outside a union without a known code
    assert report.failed == 0, "\n\n".join(report.failures[:10])
    assert "unexpected error" not in live.log()
    # and arguments went as literals and as variables ...
    assert report.requests // 4 < report.with_variables < report.requests * 3 // 4
    # and every operation was sent as every caller (the fuzzer skipped nothing silently) ...
    operations = {op.label for op in load_operations(url)}
    assert len(operations) > 40
    for caller in callers:
        sent = {op for (op, name) in report.tallies if name == caller.name}
        assert sent == operations - {f"Mutation.{field}" for field in caller.skip}, caller.name
    # ... and the signed-in callers are still signed in
    with httpx.Client() as http:
        usages = [
            http.post(url, json={"query": "{ viewer { usage } }"}, headers=caller.headers()).json()[
                "data"
            ]["viewer"]["usage"]
            for caller in callers[1:]
        ]
    assert usages == ["PRIVATE", "BUSINESS", "STAFF"]


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (200, '{"data": {"viewer": null}}', None),
        (200, '{"data": {"logIn": {"__typename": "InvalidCredentials"}}}', None),
        (200, '{"errors": [{"message": "Syntax Error"}]}', None),
        (400, '{"errors": [{"message": "Unknown argument", "locations": []}]}', None),
        (
            200,
            '{"errors": [{"message": "x", "path": ["staff"], "extensions": {"code": "FORBIDDEN"}}], "data": null}',
            None,
        ),
        (
            200,
            '{"errors": [{"message": "x", "path": ["orders"], "extensions": {"code": "BAD_USER_INPUT", "field": ["first"]}}], "data": null}',
            None,
        ),
        (500, '{"errors": []}', "status 500"),
        (503, "", "status 503"),
        (
            200,
            '{"errors": [{"message": "x", "path": ["a"], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}], "data": null}',
            "error with code 'INTERNAL_SERVER_ERROR'",
        ),
        (
            200,
            '{"errors": [{"message": "x", "path": ["a"], "extensions": {"field": ["after"]}}], "data": null}',
            "error with code None",
        ),
        (
            200,
            '{"errors": [{"message": "x", "path": ["a"]}], "data": {"a": null}}',
            "error with code None",
        ),
        (200, '{"errors": [{"message": "Traceback (most recent call last):"}]}', "leaks"),
        (200, '{"errors": [{"message": "SELECT account.id FROM account WHERE"}]}', "leaks"),
        (200, '{"errors": [{"message": "(sqlite3.IntegrityError) UNIQUE"}]}', "leaks"),
        (200, "<html>oops</html>", "without a JSON body"),
    ],
)
def test_the_judge_fails_server_errors_leaks_and_errors_without_a_known_code(
    status: int, body: str, problem: str | None
) -> None:
    found = judge(status, body)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found, found
