"""What the schema fuzzer found, each kept as the request that showed it (over HTTP, signed in)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.api import gql
from tests.support.factories import add_account, log_in

INVOICES = """
query($from: Date, $until: Date) {
  invoices(issuedFrom: $from, issuedUntil: $until) { edges { cursor } }
}
"""
ORDERS = """
query($from: Date, $until: Date) {
  orders(placedFrom: $from, placedUntil: $until) { edges { cursor } }
}
"""


@pytest.mark.parametrize("document", [INVOICES, ORDERS], ids=["invoices", "orders"])
@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("0001-01-01", None),
        ("0001-01-01", "0001-01-01"),
        (None, "9999-12-31"),
        ("9999-12-31", "9999-12-31"),
    ],
)
async def test_the_first_and_last_days_of_the_calendar_are_an_empty_range_not_a_server_error(
    app: Starlette, client: httpx.AsyncClient, document: str, first: str | None, last: str | None
) -> None:
    # given: a signed-in account (found as: invoices(issuedFrom: "0001-01-01"), an
    # OverflowError converting midnight in Amsterdam of year 1 to UTC)
    await log_in(client, await add_account(app))
    # when
    body = await gql(client, document, {"from": first, "until": last})
    # then
    assert "errors" not in body, body
    assert next(iter(body["data"].values())) == {"edges": []}


SCHEDULE = """
mutation Schedule($input: StaffScheduleMaintenanceInput!) {
  staffScheduleMaintenance(input: $input) {
    __typename
    ... on InvalidInput { problems { field message } }
  }
}
"""


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        ("9999-12-31T20:00:00+00:00", "0001-01-01T00:00:00+14:00"),
        ("9999-12-31T20:00:00+00:00", "9999-12-31T23:59:59+00:00"),
        ("0001-01-01T00:00:00+00:00", "0001-01-02T00:00:00+00:00"),
    ],
)
async def test_a_maintenance_window_at_the_ends_of_the_calendar_is_invalid_input_not_a_server_error(
    staff: httpx.AsyncClient, starts: str, ends: str
) -> None:
    # given: found as staffScheduleMaintenance(input: {endsAt: "0001-01-01T00:00:00+14:00", ...}),
    # an OverflowError converting a moment of year 1 east of Greenwich to UTC
    variables = {"input": {"startsAt": starts, "endsAt": ends, "noticeNl": "x", "noticeEn": "x"}}
    # when
    body = await gql(staff, SCHEDULE, variables)
    # then
    assert "errors" not in body, body
    result = body["data"]["staffScheduleMaintenance"]
    assert result["__typename"] == "InvalidInput"
    assert "Kies een moment tussen 1900 en 9000." in [p["message"] for p in result["problems"]]
