"""What the collection tests share: two payers with a direct-debit invoice each (a private
account and an organisation, issued on 1 November 2026 and due on 29 November), the
staff mutations, and reading invoices back."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import col
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.invoices import Invoice
from tests.invoices.support import (
    OCTOBER,
    add_dd_order,
    amsterdam,
    private_on_direct_debit,
    run,
)
from tests.orders.support import organisation
from tests.support.api import gql

DUE = date(2026, 11, 29)
PRIVATE_CENTS = 1195
ORGANISATION_CENTS = 2390

CREATE = """
mutation Collect($input: StaffCreateCollectionsInput!) {
  staffCreateCollections(input: $input) {
    __typename
    ... on StaffCreateCollectionsPayload {
      invoiceNumbers message
      bankFile { id kind direction messageId transactionCount totalCents downloadUrl }
    }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

RECORD = """
mutation Record($input: StaffRecordTransferInput!) {
  staffRecordTransfer(input: $input) {
    __typename
    ... on StaffRecordTransferPayload { invoiceNumber message }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""


async def invoiced(app: Starlette, clock: FrozenClock) -> dict[str, Any]:
    """Piet (private, e-mailed invoices) and Testbedrijf (organisation, invoices by post),
    each with an October direct-debit order, invoiced on 1 November 2026."""
    clock.set(amsterdam(2026, 10, 5))
    codes = await organisation(app)
    piet = await private_on_direct_debit(app)
    await add_dd_order(app, piet, placed_at=amsterdam(2026, 10, 10), price_cents=PRIVATE_CENTS)
    await add_dd_order(
        app, codes["main"], placed_at=amsterdam(2026, 10, 12), price_cents=ORGANISATION_CENTS
    )
    clock.set(amsterdam(2026, 11, 1, 9))
    assert await run(app, OCTOBER) == 2
    invoices = await by_payer(app)
    return {"piet": piet, "main": codes["main"], **invoices}


async def by_payer(app: Starlette) -> dict[str, Invoice]:
    """The latest invoice of each payer: "private" and "organisation"."""
    async with app.state.deps.db.read() as session:
        rows = list((await session.execute(select(Invoice).order_by(col(Invoice.id)))).scalars())
    found: dict[str, Invoice] = {}
    for row in rows:
        found["private" if row.payer_account_id else "organisation"] = row
    return found


async def invoice(app: Starlette, number: str) -> Invoice:
    async with app.state.deps.db.read() as session:
        return (
            await session.execute(select(Invoice).where(col(Invoice.number) == number))
        ).scalar_one()


async def create_collections(staff: httpx.AsyncClient, **values: Any) -> dict[str, Any]:
    body = await gql(staff, CREATE, {"input": values})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffCreateCollections"]
    return result


async def record_transfer(staff: httpx.AsyncClient, **values: Any) -> dict[str, Any]:
    body = await gql(staff, RECORD, {"input": values})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffRecordTransfer"]
    return result


async def bank_file_bytes(app: Starlette, bank_file_global_id: str) -> bytes:
    """The stored bytes of a bank file, by its GraphQL id."""
    from gql.files import store
    from gql.models.bank_files import BankFile
    from gql.schema.types.ids import parse_global_id

    parsed = parse_global_id(bank_file_global_id)
    assert parsed is not None
    deps = app.state.deps
    async with deps.db.read() as session:
        row = await session.get(BankFile, parsed[1])
    assert row is not None
    info = await store.info(deps.db, row.file_id)
    assert info is not None
    return await store.read_all(deps.db, info)
