"""What the balance and payment tests share: GraphQL documents, a private account with a
paid top-up, the sandbox checkout page pressed as a payer does, the worker's webhook job
delivering to the app itself over HTTP, and the ledger read straight from the database."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col
from starlette.applications import Starlette

from gql.models.ledger import Balance as BalanceAccount
from gql.models.ledger import LedgerEntry
from gql.psp import sandbox as sandbox_module
from tests.support.api import gql, http_client
from tests.support.factories import add_account, log_in

# For rules that do not depend on the database (input checks, authorization, HTTP details):
# one backend is enough; what the database decides (money, concurrency) runs on both.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])

PAYER_IBAN = "NL91ABNA0417164300"
OTHER_IBAN = "NL44RABO0123456789"
_TOKEN = re.compile(r'name="token" value="([0-9a-f]{64})"')

TOP_UP = """
mutation TopUp($input: TopUpInput!) {
  topUp(input: $input) {
    __typename
    ... on TopUpPayload {
      payment { id status amountCents method purpose paymentUrl createdAt expiresAt settledAt }
    }
    ... on MaintenanceInProgress { notice endsAt }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

PAYMENT = """
query($id: ID!) {
  node(id: $id) { __typename ... on Payment { id status amountCents settledAt paymentUrl } }
}
"""

BALANCE = """
query($first: Int, $after: String) {
  balance {
    balanceCents heldCents availableCents
    transactions(first: $first, after: $after) {
      edges { cursor node { kind amountCents heldDeltaCents description } }
      pageInfo { hasNextPage endCursor }
    }
    refundRequests(first: 50) {
      edges { node { id amountCents status ibanMasked accountHolder reason rejectionReason } }
    }
  }
}
"""

REQUEST_REFUND = """
mutation Refund($input: RequestRefundInput!) {
  requestRefund(input: $input) {
    __typename
    ... on RequestRefundPayload { refundRequest { id amountCents status ibanMasked } }
    ... on InsufficientBalance { availableCents requiredCents }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""


def key() -> str:
    return str(uuid.uuid4())


def top_up_input(amount_cents: int = 2500, **extra: Any) -> dict[str, Any]:
    return {"amountCents": amount_cents, "method": "IDEAL", "idempotencyKey": key(), **extra}


@asynccontextmanager
async def private_client(
    app: Starlette, *, email: str = "piet@example.nl", ip: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A new private account, signed in on a client of its own (its cookie)."""
    code = await add_account(app, email=email)
    async with http_client(app, ip=ip) as client:
        signed_in = await log_in(client, code)
        assert signed_in["__typename"] == "LogInPayload", signed_in
        yield client


async def top_up(client: httpx.AsyncClient, amount_cents: int = 2500, **extra: Any) -> Any:
    body = await gql(client, TOP_UP, {"input": top_up_input(amount_cents, **extra)})
    assert "errors" not in body, body
    return body["data"]["topUp"]


async def started_payment(client: httpx.AsyncClient, amount_cents: int = 2500) -> dict[str, Any]:
    result = await top_up(client, amount_cents)
    assert result["__typename"] == "TopUpPayload", result
    payment: dict[str, Any] = result["payment"]
    return payment


def checkout_path(payment: dict[str, Any]) -> str:
    return "/sandbox/checkout/" + str(payment["paymentUrl"]).rsplit("/", 1)[1]


async def press(
    app: Starlette,
    payment: dict[str, Any],
    decision: str = "pay",
    *,
    iban: str = PAYER_IBAN,
    name: str = "P. Pieterse",
) -> None:
    """Open the sandbox checkout page as the payer's browser and press a button."""
    async with http_client(app) as browser:
        page = await browser.get(checkout_path(payment))
        assert page.status_code == 200, page.text
        found = _TOKEN.search(page.text)
        assert found is not None
        fields = {"token": found.group(1), "decision": decision}
        if decision == "pay":
            fields |= {"iban": iban, "name": name}
        answer = await browser.post(checkout_path(payment), data=fields)
        assert answer.status_code == 303, answer.text


async def deliver_webhooks(app: Starlette) -> int:
    """The worker's webhook job, once, calling the app's /psp/webhook over (ASGI) HTTP."""
    async with http_client(app) as http:
        return await sandbox_module.deliver_webhooks(app.state.deps, http)


async def pay(
    app: Starlette, client: httpx.AsyncClient, amount_cents: int = 2500, **press_args: Any
) -> dict[str, Any]:
    """A top-up, paid on the checkout page, its webhook delivered: the balance has it."""
    payment = await started_payment(client, amount_cents)
    await press(app, payment, "pay", **press_args)
    assert await deliver_webhooks(app) == 1
    return payment


async def read_payment(client: httpx.AsyncClient, payment_id: str) -> Any:
    body = await gql(client, PAYMENT, {"id": payment_id})
    assert "errors" not in body, body
    return body["data"]["node"]


async def balance(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    body = await gql(client, BALANCE, variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["balance"]
    return result


async def request_refund(
    client: httpx.AsyncClient,
    amount_cents: int,
    *,
    iban: str = PAYER_IBAN,
    holder: str = "P. Pieterse",
    reason: str = "Teveel gestort",
) -> dict[str, Any]:
    body = await gql(
        client,
        REQUEST_REFUND,
        {
            "input": {
                "amountCents": amount_cents,
                "iban": iban,
                "accountHolder": holder,
                "reason": reason,
            }
        },
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["requestRefund"]
    return result


async def ledger_state(app: Starlette) -> list[tuple[int, int, int, int, int]]:
    """Per balance row: (account, balance, held, Σ amount, Σ held delta), from the database."""
    async with app.state.deps.db.read() as session:
        sums = {
            account: (total, held)
            for account, total, held in (
                await session.execute(
                    select(
                        col(LedgerEntry.account_id),
                        func.sum(col(LedgerEntry.amount_cents)),
                        func.sum(col(LedgerEntry.held_delta_cents)),
                    ).group_by(col(LedgerEntry.account_id))
                )
            ).all()
        }
        rows = (await session.execute(select(BalanceAccount))).scalars().all()
    return [
        (
            row.account_id,
            row.balance_cents,
            row.held_cents,
            int(sums.get(row.account_id, (0, 0))[0] or 0),
            int(sums.get(row.account_id, (0, 0))[1] or 0),
        )
        for row in rows
    ]


async def assert_ledger_holds(app: Starlette) -> None:
    """balance = Σ amount ≥ 0, held = Σ held delta, 0 ≤ held ≤ balance, for every account."""
    for account, balance_cents, held, total, held_total in await ledger_state(app):
        assert balance_cents == total >= 0, account
        assert held == held_total, account
        assert 0 <= held <= balance_cents, account
