"""What the bank-file tests share: GraphQL documents, approved refunds, the committed XSDs
and samples, and reading what the database holds."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from sqlalchemy import func, select
from sqlmodel import col
from starlette.applications import Starlette

from gql.models.accounts import Account
from gql.models.bank_files import BankFile
from gql.models.files import StoredFile
from gql.models.ledger import EntryKind, RefundRequest
from gql.services.ledger import balance
from tests.payments.support import request_refund
from tests.support.api import gql, gql_upload

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
RETURNED_SAMPLE = SAMPLES / "pain.002-refunds-one-returned.xml"
PAIN_001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

CREATE_PAYOUTS = """
mutation Pay($input: StaffCreateRefundPayoutsInput!) {
  staffCreateRefundPayouts(input: $input) {
    __typename
    ... on StaffCreateRefundPayoutsPayload {
      message refundRequestIds
      bankFile {
        id kind direction messageId createdBy filename size sha256 transactionCount
        totalCents downloadUrl changes { reference }
      }
    }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

IMPORT = """
mutation Import($input: StaffImportBankFileInput!) {
  staffImportBankFile(input: $input) {
    __typename
    ... on StaffImportBankFilePayload {
      alreadyImported message
      bankFile {
        id kind direction messageId originalMessageId createdBy transactionCount totalCents
        changes { reference result reasonCode changed }
      }
    }
    ... on UnmatchedBankFile { originalMessageId }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

BANK_FILES = """
query($kind: BankFileKind) {
  staff {
    bankFiles(kind: $kind) {
      edges { node { id kind direction messageId originalMessageId createdBy sha256 } }
    }
  }
}
"""

APPROVE = """
mutation($input: StaffApproveRefundInput!) {
  staffApproveRefund(input: $input) { __typename }
}
"""

REFUNDS = """
query { staff { refundRequests(first: 50) { edges { node { id status amountCents } } } } }
"""


async def account_id_of(app: Starlette, email: str) -> int:
    async with app.state.deps.db.read() as session:
        found = (
            await session.execute(select(col(Account.id)).where(col(Account.email) == email))
        ).scalar_one()
    return int(found)


async def fund(app: Starlette, email: str, cents: int) -> int:
    """Money on the balance of the account with this address (a correction); its id."""
    deps = app.state.deps
    async with deps.db.write() as session:
        account_id = (
            await session.execute(select(col(Account.id)).where(col(Account.email) == email))
        ).scalar_one()
        await balance.credit(
            session,
            account_id=account_id,
            amount_cents=cents,
            kind=EntryKind.CORRECTION,
            now=deps.clock.now(),
        )
        await session.commit()
    return int(account_id)


async def approved_refund(
    client: httpx.AsyncClient, staff: httpx.AsyncClient, amount: int, iban: str, holder: str
) -> str:
    """A refund requested by the signed-in customer and approved by staff; its global id."""
    requested = await request_refund(client, amount, iban=iban, holder=holder)
    assert requested["__typename"] == "RequestRefundPayload", requested
    refund_id: str = requested["refundRequest"]["id"]
    body = await gql(staff, APPROVE, {"input": {"refundRequestId": refund_id}})
    assert body["data"]["staffApproveRefund"]["__typename"] == "StaffApproveRefundPayload", body
    return refund_id


async def create_payouts(staff: httpx.AsyncClient, **values: Any) -> dict[str, Any]:
    body = await gql(staff, CREATE_PAYOUTS, {"input": values})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffCreateRefundPayouts"]
    return result


async def import_file(staff: httpx.AsyncClient, data: bytes, name: str = "status.xml") -> Any:
    response = await gql_upload(
        staff,
        IMPORT,
        {"input": {"file": None}},
        {"0": ("variables.input.file", (name, data, "application/xml"))},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["staffImportBankFile"]


async def refund_statuses(staff: httpx.AsyncClient) -> dict[str, str]:
    body = await gql(staff, REFUNDS)
    return {
        e["node"]["id"]: e["node"]["status"]
        for e in body["data"]["staff"]["refundRequests"]["edges"]
    }


async def bank_files(staff: httpx.AsyncClient, kind: str | None = None) -> list[dict[str, Any]]:
    body = await gql(staff, BANK_FILES, {"kind": kind})
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["staff"]["bankFiles"]["edges"]]


async def stored_counts(app: Starlette) -> tuple[int, int]:
    """(bank file records, stored files) in the database."""
    async with app.state.deps.db.read() as session:
        records = await session.scalar(select(func.count()).select_from(BankFile))
        files = await session.scalar(select(func.count()).select_from(StoredFile))
    return int(records or 0), int(files or 0)


async def payout_batches(app: Starlette) -> dict[int, int | None]:
    """Refund id -> the bank file it was paid out in."""
    async with app.state.deps.db.read() as session:
        rows = (
            await session.execute(select(col(RefundRequest.id), col(RefundRequest.payout_batch_id)))
        ).all()
    return {int(refund_id): batch for refund_id, batch in rows}


# ---- XML -------------------------------------------------------------------------------------


@cache
def schema(name: str) -> etree.XMLSchema:
    """A committed XSD (tests/bank_files/xsd/, sources in its README)."""
    return etree.XMLSchema(etree.parse(str(HERE / "xsd" / f"{name}.xsd"), _PARSER))


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def valid_against(name: str, data: bytes) -> etree._Element:
    """The parsed document, after asserting that it is valid against the XSD `name`."""
    root = etree.fromstring(data, _PARSER)
    checker = schema(name)
    assert checker.validate(root), checker.error_log
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    """The texts at an XPath whose steps use the prefix `p:` for the message's namespace."""
    return [str(e.text) for e in root.xpath(path, namespaces={"p": root.nsmap[None]})]
