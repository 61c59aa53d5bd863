"""Asking unused balance back (seed: "Heb je teveel tegoed gestort? Vraag het terug door het
retourformulier in te vullen"): held at once, never more than is available, also under
concurrent requests; staff see whether the IBAN ever paid into the balance and approve or
reject; the customer sees each decision on `balance` and by mail."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.payments.support import (
    OTHER_IBAN,
    PAYER_IBAN,
    assert_ledger_holds,
    balance,
    pay,
    private_client,
    request_refund,
    sqlite_only,
)
from tests.support.api import gql, outbox

STAFF_LIST = """
query($status: RefundStatus) {
  staff {
    refundRequests(status: $status) {
      edges { node { id amountCents status iban ibanFundedBalance requestedBy reason } }
    }
  }
}
"""

APPROVE = """
mutation($input: StaffApproveRefundInput!) {
  staffApproveRefund(input: $input) {
    __typename
    ... on StaffApproveRefundPayload { refundRequest { id status decidedAt } }
    ... on Error { code message field }
  }
}
"""

REJECT = """
mutation($input: StaffRejectRefundInput!) {
  staffRejectRefund(input: $input) {
    __typename
    ... on StaffRejectRefundPayload { refundRequest { id status rejectionReason } }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""


async def staff_list(staff: httpx.AsyncClient, status: str | None = None) -> list[dict[str, Any]]:
    body = await gql(staff, STAFF_LIST, {"status": status})
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["staff"]["refundRequests"]["edges"]]


async def test_a_refund_request_is_held_at_once_and_confirmed_by_mail(app: Starlette) -> None:
    async with private_client(app) as client:
        await pay(app, client, 5000)

        result = await request_refund(client, 2000)

        assert result["__typename"] == "RequestRefundPayload"
        assert result["refundRequest"]["status"] == "REQUESTED"
        assert result["refundRequest"]["ibanMasked"] == "NL91 **** **** 4300"
        now = await balance(client)
        assert (now["balanceCents"], now["heldCents"], now["availableCents"]) == (5000, 2000, 3000)
        [request] = [e["node"] for e in now["refundRequests"]["edges"]]
        assert (request["amountCents"], request["status"]) == (2000, "REQUESTED")
        [mail] = [m for m in await outbox(app) if "20,00" in m.body]
        assert mail.recipient == "piet@example.nl"
    await assert_ledger_holds(app)


BAD_REFUNDS = (
    (0, PAYER_IBAN, "P. Pieterse", "amountCents"),
    (-100, PAYER_IBAN, "P. Pieterse", "amountCents"),
    (1000, "NL91ABNA0417164301", "P. Pieterse", "iban"),
    (1000, PAYER_IBAN, " ", "accountHolder"),
)


@sqlite_only
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_held(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        await pay(app, client, 5000)
        for amount, iban, holder, field in BAD_REFUNDS:
            result = await request_refund(client, amount, iban=iban, holder=holder)

            assert result["__typename"] == "InvalidInput", field
            assert [p["field"] for p in result["problems"]] == [[field]]
        assert (await balance(client))["heldCents"] == 0


async def test_more_than_is_available_is_refused_with_both_amounts(app: Starlette) -> None:
    async with private_client(app) as client:
        await pay(app, client, 5000)
        await request_refund(client, 4000)

        result = await request_refund(client, 1001)

        assert result["__typename"] == "InsufficientBalance"
        assert (result["availableCents"], result["requiredCents"]) == (1000, 1001)
        assert (await balance(client))["heldCents"] == 4000


async def test_twenty_refunds_of_30_euro_at_once_against_100_hold_exactly_three(
    app: Starlette,
) -> None:
    async with private_client(app) as client:
        await pay(app, client, 10000)

        results = await asyncio.gather(*(request_refund(client, 3000) for _ in range(20)))

        kinds = [r["__typename"] for r in results]
        assert kinds.count("RequestRefundPayload") == 3
        assert kinds.count("InsufficientBalance") == 17
        refused = [r for r in results if r["__typename"] == "InsufficientBalance"]
        assert {r["availableCents"] for r in refused} == {1000}
        now = await balance(client)
        assert (now["balanceCents"], now["heldCents"], now["availableCents"]) == (10000, 9000, 1000)
    await assert_ledger_holds(app)


async def test_staff_approve_a_refund_the_ledger_pays_it_out_and_the_customer_is_told(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    async with private_client(app) as client:
        await pay(app, client, 5000, iban=PAYER_IBAN)
        await request_refund(client, 2000, iban=PAYER_IBAN)
        await request_refund(client, 1000, iban=OTHER_IBAN)

        # staff see both, with the full IBAN and whether it ever paid into this balance
        listed = await staff_list(staff, "REQUESTED")
        funded = {node["iban"]: node["ibanFundedBalance"] for node in listed}
        assert funded == {PAYER_IBAN: True, OTHER_IBAN: False}
        assert all(node["requestedBy"].startswith("Piet Pieterse (") for node in listed)
        first = next(node for node in listed if node["iban"] == PAYER_IBAN)

        # when
        approved = await gql(staff, APPROVE, {"input": {"refundRequestId": first["id"]}})
        again = await gql(staff, APPROVE, {"input": {"refundRequestId": first["id"]}})

        # then: paid out of the balance, the hold released; a second decision is refused
        result = approved["data"]["staffApproveRefund"]
        assert result["refundRequest"]["status"] == "APPROVED"
        assert again["data"]["staffApproveRefund"]["__typename"] == "InvalidState"
        now = await balance(client)
        assert (now["balanceCents"], now["heldCents"], now["availableCents"]) == (3000, 1000, 2000)
        kinds = [edge["node"]["kind"] for edge in now["transactions"]["edges"]]
        assert kinds[0] == "REFUND_PAYOUT" and kinds.count("REFUND_HOLD") == 2
        statuses = {
            e["node"]["amountCents"]: e["node"]["status"] for e in now["refundRequests"]["edges"]
        }
        assert statuses == {2000: "APPROVED", 1000: "REQUESTED"}
        mails = [m.template for m in await outbox(app) if m.recipient == "piet@example.nl"]
        assert mails == [
            "top_up_received",
            "invoice_issued",  # the top-up's invoice
            "refund_requested",
            "refund_requested",
            "refund_approved",
        ]
    await assert_ledger_holds(app)


async def test_staff_reject_a_refund_with_a_reason_and_the_hold_is_released(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    async with private_client(app) as client:
        await pay(app, client, 5000)
        requested = await request_refund(client, 2000)
        refund_id = requested["refundRequest"]["id"]

        empty = await gql(staff, REJECT, {"input": {"refundRequestId": refund_id, "reason": " "}})
        rejected = await gql(
            staff,
            REJECT,
            {"input": {"refundRequestId": refund_id, "reason": "Rekening niet op uw naam."}},
        )

        assert empty["data"]["staffRejectRefund"]["__typename"] == "InvalidInput"
        result = rejected["data"]["staffRejectRefund"]["refundRequest"]
        assert (result["status"], result["rejectionReason"]) == (
            "REJECTED",
            "Rekening niet op uw naam.",
        )
        now = await balance(client)
        assert (now["balanceCents"], now["heldCents"], now["availableCents"]) == (5000, 0, 5000)
        [mail] = [m for m in await outbox(app) if "Rekening niet op uw naam." in m.body]
        assert mail.recipient == "piet@example.nl"
    await assert_ledger_holds(app)


@sqlite_only
async def test_customers_cannot_decide_or_list_refunds_and_others_see_none(
    app: Starlette,
) -> None:
    async with (
        private_client(app) as client,
        private_client(app, email="kees@example.nl") as other,
    ):
        await pay(app, client, 5000)
        requested = await request_refund(client, 2000)
        refund_id = requested["refundRequest"]["id"]

        decided = await gql(client, APPROVE, {"input": {"refundRequestId": refund_id}})
        listed = await gql(client, STAFF_LIST)
        node = await gql(other, "query($id: ID!) { node(id: $id) { id } }", {"id": refund_id})
        own = await gql(
            client,
            "query($id: ID!) { node(id: $id) { ... on RefundRequest { status iban } } }",
            {"id": refund_id},
        )

        assert decided["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert node["data"]["node"] is None
        # The owner reads the request; the full IBAN is for staff only.
        assert own["data"]["node"]["status"] == "REQUESTED"
        assert own["data"]["node"]["iban"] is None
