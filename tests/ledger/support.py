"""What the ledger tests share: the invariants read straight from the database, GraphQL
documents, and an HTTP transport that keeps every webhook call it carries (for replays)."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx
from sqlalchemy import text
from starlette.applications import Starlette

from gql.db import Database

TOP_UP = """
mutation TopUp($input: TopUpInput!) {
  topUp(input: $input) {
    __typename
    ... on TopUpPayload { payment { id status amountCents method paymentUrl } }
    ... on Error { code message field }
  }
}
"""

REQUEST_REFUND = """
mutation RequestRefund($input: RequestRefundInput!) {
  requestRefund(input: $input) {
    __typename
    ... on RequestRefundPayload { refundRequest { id status amountCents } }
    ... on InsufficientBalance { availableCents requiredCents }
    ... on Error { code message field }
  }
}
"""

APPROVE_REFUND = """
mutation Approve($input: StaffApproveRefundInput!) {
  staffApproveRefund(input: $input) {
    __typename
    ... on StaffApproveRefundPayload { refundRequest { id status } }
    ... on Error { code message field }
  }
}
"""

REJECT_REFUND = """
mutation Reject($input: StaffRejectRefundInput!) {
  staffRejectRefund(input: $input) {
    __typename
    ... on StaffRejectRefundPayload { refundRequest { id status } }
    ... on Error { code message field }
  }
}
"""

BALANCE = "query { balance { balanceCents heldCents availableCents } }"

#: One ledger entry as written: (account, kind, amount, held delta, payment, refund, order, at).
Entry = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Totals:
    balance_cents: int
    held_cents: int


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the check read, in one transaction."""

    totals: dict[int, Totals]  # per account with a balance row
    top_ups: dict[int, str]  # payment id -> status
    refunds: dict[int, str]  # refund request id -> status


async def assert_ledger_invariants(
    app_or_url: Starlette | str, seen: dict[int, Entry] | None = None
) -> Ledger:
    """Check the ledger's invariants in the database itself (an app's, or at a URL).

    For every account: balance = Σ amount ≥ 0, held = Σ held delta, 0 ≤ held ≤ balance,
    held = the amounts of its undecided refunds. Every PAID top-up is credited exactly once
    (with its amount, to its account) and nothing else is; each refund has exactly the
    entries its status calls for. With `seen`, every entry seen before is still there,
    unchanged, and `seen` gains the new ones.
    """
    if isinstance(app_or_url, str):
        db = Database(app_or_url)
        try:
            return await _check(db, seen)
        finally:
            await db.dispose()
    return await _check(app_or_url.state.deps.db, seen)


async def _check(db: Database, seen: dict[int, Entry] | None) -> Ledger:
    async with db.read() as session:

        async def rows(sql: str) -> list[Any]:
            return list((await session.execute(text(sql))).all())

        balances = await rows("SELECT account_id, balance_cents, held_cents FROM balance")
        entries = await rows(
            "SELECT id, account_id, kind, amount_cents, held_delta_cents, payment_id, "
            "refund_id, order_id, created_at FROM ledger_entry ORDER BY id"
        )
        top_ups = await rows(
            "SELECT id, account_id, amount_cents, status FROM payment WHERE purpose = 'TOP_UP'"
        )
        refunds = await rows("SELECT id, account_id, amount_cents, status FROM refund_request")

    written = {row[0]: tuple(row[1:]) for row in entries}
    if seen is not None:
        changed = {
            i: (before, written.get(i)) for i, before in seen.items() if written.get(i) != before
        }
        assert not changed, f"ledger entries changed or removed (before, now): {changed}"
        seen.update(written)

    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for _, account_id, _, amount, held_delta, *_ in entries:
        sums[account_id][0] += amount
        sums[account_id][1] += held_delta
    totals = {account_id: Totals(balance, held) for account_id, balance, held in balances}
    for account_id in sums.keys() - totals.keys():
        assert sums[account_id] == [0, 0], f"account {account_id}: entries but no balance row"
    requested: Counter[int] = Counter()
    for _, account_id, amount, status in refunds:
        if status == "REQUESTED":
            requested[account_id] += amount
    for account_id, total in totals.items():
        balance, held = sums.get(account_id, [0, 0])
        assert total.balance_cents == balance, (
            f"account {account_id}: {total} but Σ amount {balance}"
        )
        assert total.held_cents == held, f"account {account_id}: {total} but Σ held delta {held}"
        assert total.balance_cents >= 0, f"account {account_id}: {total}"
        assert 0 <= total.held_cents <= total.balance_cents, f"account {account_id}: {total}"
        assert total.held_cents == requested[account_id], (
            f"account {account_id}: {total} but undecided refunds of {requested[account_id]}"
        )

    credits: dict[int, list[tuple[int, int]]] = defaultdict(list)
    per_refund: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for _, account_id, kind, amount, held_delta, payment_id, refund_id, *_ in entries:
        if kind == "TOP_UP":
            credits[payment_id].append((account_id, amount))
        if refund_id is not None:
            per_refund[refund_id].append((kind, amount, held_delta))
    for payment_id, account_id, amount, status in top_ups:
        expected = [(account_id, amount)] if status == "PAID" else []
        assert credits.pop(payment_id, []) == expected, (
            f"top-up {payment_id} ({status}, {amount} cents) credited {credits.get(payment_id)}"
        )
    assert not credits, f"TOP_UP entries without a top-up payment: {dict(credits)}"
    for refund_id, _, amount, status in refunds:
        expected_entries = {
            "REQUESTED": [("REFUND_HOLD", 0, amount)],
            "APPROVED": [("REFUND_HOLD", 0, amount), ("REFUND_PAYOUT", -amount, -amount)],
            "REJECTED": [("REFUND_HOLD", 0, amount), ("HOLD_RELEASE", 0, -amount)],
        }[status]
        assert per_refund[refund_id] == expected_entries, (
            f"refund {refund_id} ({status}): entries {per_refund[refund_id]}"
        )
    return Ledger(
        totals=totals,
        top_ups={row[0]: row[3] for row in top_ups},
        refunds={row[0]: row[3] for row in refunds},
    )


@dataclass(frozen=True, slots=True)
class Sent:
    """One request as it went over the wire, and the status it got."""

    url: str
    headers: dict[str, str]
    body: bytes
    status: int


class RecordingTransport(httpx.AsyncBaseTransport):
    """Carries requests to an in-process app and keeps a copy of each (to replay later)."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        self.sent.append(Sent(str(request.url), dict(request.headers), body, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Databases(Protocol):
    """Fresh databases at the latest migration, one per example of a state machine."""

    async def create(self, folder: Path) -> str: ...

    async def drop(self, url: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SqliteCopies:
    """A copy of the migrated template file (tests/conftest.py sqlite_template)."""

    template: Path

    async def create(self, folder: Path) -> str:
        shutil.copyfile(self.template, folder / "toegang.db")
        return f"sqlite+aiosqlite:///{folder / 'toegang.db'}"

    async def drop(self, url: str) -> None:
        """The example's folder goes, with the file."""


@dataclass(frozen=True, slots=True)
class PostgresCopies:
    """A database made from the migrated template (tests/conftest.py postgres_server)."""

    base: str  # postgresql+asyncpg://postgres@127.0.0.1:PORT

    async def _admin(self, statement: str) -> None:
        conn = await asyncpg.connect(self.base.replace("+asyncpg", "") + "/postgres")
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def create(self, folder: Path) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        await self._admin(f"CREATE DATABASE {name} TEMPLATE toegang_template STRATEGY FILE_COPY")
        return f"{self.base}/{name}"

    async def drop(self, url: str) -> None:
        await self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
