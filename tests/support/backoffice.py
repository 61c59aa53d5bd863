"""The back office in tests: documents, a pending business request, staff-side reads."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.models.accounts import AccessCodeRequest, AuthSession
from gql.models.audit import AuditEvent
from tests.support.api import gql, http_client
from tests.support.factories import (
    PASSWORD,
)

KVK = "12345678"
STAFF_IP = "10.0.0.9"

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename }
}
"""

STAFF_REQUESTS = """
query { staff { accessCodeRequests { edges { node { id email status } } } } }
"""

RECORD_ADDRESS = """
mutation RecordAddress($input: StaffRecordAddressChangeInput!) {
  staffRecordAddressChange(input: $input) {
    __typename
    ... on StaffRecordAddressChangePayload {
      company {
        kvkNumber
        visitingAddress { street houseNumber postalCode city }
        postalAddress { street houseNumber postalCode city }
      }
    }
    ... on InvalidInput { code field problems { field message } }
    ... on Error { code message field }
  }
}
"""

AUDIT_TRAIL = """
query { staff { auditTrail { edges { node {
  actorId action subject details at clientIp requestId
} } } } }
"""

MUTATION_FIELDS = '{ __type(name: "Mutation") { fields { name description } } }'

STAFF_VIEWER = "query { viewer { id usage } }"

NEW_POSTAL = {
    "street": "Postbus",
    "houseNumber": "500",
    "postalCode": "3500aa",
    "city": "Utrecht",
}


async def add_request(app: Starlette, email: str = "bea@example.nl") -> None:
    """A pending business request, made over the API by an anonymous visitor."""
    async with http_client(app, ip="192.0.2.50") as visitor:
        body = await gql(
            visitor,
            REQUEST_ACCESS_CODE,
            {
                "input": {
                    "usage": "BUSINESS",
                    "name": "Bea Bakker",
                    "email": email,
                    "password": PASSWORD,
                    "kvkNumber": KVK,
                    "mandate": {
                        "iban": "NL91ABNA0417164300",
                        "accountHolder": "Testbedrijf B.V.",
                        "consent": True,
                    },
                }
            },
        )
    assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload", body


async def request_ids(staff: httpx.AsyncClient) -> dict[str, str]:
    body = await gql(staff, STAFF_REQUESTS)
    return {
        e["node"]["email"]: e["node"]["id"]
        for e in body["data"]["staff"]["accessCodeRequests"]["edges"]
    }


async def statuses(app: Starlette) -> list[str]:
    async with app.state.deps.db.read() as session:
        return list((await session.execute(select(AccessCodeRequest.status))).scalars())


async def session_count(app: Starlette) -> int:
    async with app.state.deps.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(AuthSession)) or 0)


async def audit_rows(app: Starlette) -> list[AuditEvent]:
    async with app.state.deps.db.read() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())


async def post(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """The decoded body and the x-request-id header of one GraphQL POST."""
    response = await client.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json(), response.headers["x-request-id"]
