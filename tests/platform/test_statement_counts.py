"""The SQL statements of a request, counted at the driver, are pinned: a list that turns N+1
fails here, and so does a read that grows a second trip."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.api import gql
from tests.support.factories import add_account, add_company, log_in
from tests.support.statements import (
    StatementLog,
    assert_statements,
    count_statements,
    driver_trace,
)

VIEWER = "query { viewer { id accessCode name email usage kvkNumber isMainUser } }"
VIEWER_COMPANY = "query { viewer { name company { name visitingAddress { city } } } }"
STAFF_REQUESTS = """
query { staff { accessCodeRequests(status: null, first: 50) {
  edges { node { id name email companyName emailMatchesRegister status } }
} } }
"""
REQUEST = """
mutation R($input: RequestAccessCodeInput!) { requestAccessCode(input: $input) { __typename } }
"""


@pytest.fixture(autouse=True)
def trace() -> Iterator[StatementLog]:
    """Installed before the app (autouse fixtures come first): every connection reports."""
    with driver_trace() as log:
        yield log


async def test_viewer_costs_one_statement(
    app: Starlette, client: httpx.AsyncClient, trace: StatementLog
) -> None:
    # given
    code = await add_account(app)
    await log_in(client, code)
    # when / then: the session lookup brings the account's columns along
    async with assert_statements(trace, 1):
        body = await gql(client, VIEWER)
    assert body["data"]["viewer"]["accessCode"] == code


async def test_viewer_with_its_company_costs_two_statements(
    app: Starlette, client: httpx.AsyncClient, trace: StatementLog
) -> None:
    # given
    await add_company(app, kvk_number="12345678")
    code = await add_account(app, usage="BUSINESS", kvk_number="12345678", is_main_user=True)
    await log_in(client, code)
    # when / then
    async with assert_statements(trace, 2):
        body = await gql(client, VIEWER_COMPANY)
    assert body["data"]["viewer"]["company"]["name"] == "Testbedrijf B.V."


@pytest.mark.parametrize("requests", [1, 12])
async def test_the_staff_request_list_costs_the_same_for_one_request_as_for_twelve(
    app: Starlette,
    client: httpx.AsyncClient,
    staff: httpx.AsyncClient,
    requests: int,
    trace: StatementLog,
) -> None:
    # given: requests for as many companies
    for n in range(requests):
        kvk = f"5000{n:04d}"
        await add_company(app, kvk_number=kvk, email=f"info{n}@example.nl")
        body = await gql(
            client,
            REQUEST,
            {
                "input": {
                    "usage": "BUSINESS",
                    "name": f"Aanvrager {n}",
                    "email": f"aanvrager{n}@example.nl",
                    "password": "een lange zin als wachtwoord 42",
                    "kvkNumber": kvk,
                    "mandate": {
                        "iban": "NL91ABNA0417164300",
                        "accountHolder": "Test",
                        "consent": True,
                    },
                }
            },
        )
        assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"
    # when
    async with count_statements(trace) as log:
        body = await gql(staff, STAFF_REQUESTS)
    # then: the session lookup, then one query for the page with its companies
    assert len(body["data"]["staff"]["accessCodeRequests"]["edges"]) == requests
    assert len(log) == 2, log.statements
