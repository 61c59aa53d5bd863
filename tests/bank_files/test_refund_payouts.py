"""Refund payouts (issue "Invoices, direct-debit collection, refund payouts ..." part 9):
approved refunds go to the bank in one SEPA credit-transfer file (pain.001), each refund in
exactly one file, also when runs overlap; a payout the bank rejects (pain.002) comes back to
the balance with a ledger entry and a mail, once."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette

from gql.schema.types.ids import parse_global_id
from gql.services.ledger import payouts, refunds
from gql.services.shared.deps import Caller
from gql.services.shared.errors import InvalidStateError
from gql.services.shared.formatting import local_date
from tests.bank_files.support import (
    PAIN_001,
    RETURNED_SAMPLE,
    account_id_of,
    approved_refund,
    bank_files,
    create_payouts,
    fund,
    import_file,
    payout_batches,
    refund_statuses,
    stored_counts,
    texts,
    valid_against,
)
from tests.payments.support import (
    OTHER_IBAN,
    PAYER_IBAN,
    assert_ledger_holds,
    balance,
    private_client,
    request_refund,
    sqlite_only,
)
from tests.support.api import outbox
from tests.support.factories import add_account, add_staff


async def ledger_view(client: httpx.AsyncClient) -> tuple[int, int, list[object]]:
    now = await balance(client)
    return now["balanceCents"], now["heldCents"], now["transactions"]["edges"]


def pk(global_id: str) -> int:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def test_approved_refunds_go_out_in_one_pain001_that_validates_and_says_exactly_what_was_approved(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given: two approved refunds and one still to be decided
    async with private_client(app) as client:
        await fund(app, "piet@example.nl", 5000)
        first = await approved_refund(client, staff, 2000, PAYER_IBAN, "P. Pieterse")
        second = await approved_refund(client, staff, 1250, OTHER_IBAN, "Piet Piëterse-Ölmez")
        pending = await request_refund(client, 500)
        before = await ledger_view(client)
        mails_before = len(await outbox(app))

        # when
        made = await create_payouts(staff)
        again = await create_payouts(staff)

        # then: one file with exactly the approved two, downloadable by staff
        assert made["__typename"] == "StaffCreateRefundPayoutsPayload", made
        assert made["refundRequestIds"] == [first, second]
        record = made["bankFile"]
        assert (record["kind"], record["direction"], record["createdBy"]) == (
            "PAIN_001",
            "OUT",
            "Sam Medewerker",
        )
        assert (record["transactionCount"], record["totalCents"], record["changes"]) == (
            2,
            3250,
            [],
        )
        download = await staff.get(record["downloadUrl"])
        assert download.status_code == 200
        data = download.content
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
        assert len(data) == record["size"]
        root = valid_against("pain.001.001.09", data)
        assert root.nsmap[None] == PAIN_001

        header = "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr"
        assert texts(root, f"{header}/p:MsgId") == [record["messageId"]]
        assert texts(root, f"{header}/p:NbOfTxs") == ["2"]
        assert texts(root, f"{header}/p:CtrlSum") == ["32.50"]
        block = "/p:Document/p:CstmrCdtTrfInitn/p:PmtInf"
        assert texts(root, f"{block}/p:PmtMtd") == ["TRF"]
        assert texts(root, f"{block}/p:NbOfTxs") == ["2"]
        assert texts(root, f"{block}/p:CtrlSum") == ["32.50"]
        assert texts(root, f"{block}/p:ReqdExctnDt/p:Dt") == [
            local_date(app.state.deps.clock.now()).isoformat()
        ]
        settings = app.state.deps.settings
        assert texts(root, f"{block}/p:Dbtr/p:Nm") == [settings.creditor_name]
        assert texts(root, f"{block}/p:DbtrAcct/p:Id/p:IBAN") == [settings.creditor_iban]
        assert texts(root, f"{block}/p:DbtrAgt/p:FinInstnId/p:BICFI") == [settings.creditor_bic]
        tx = f"{block}/p:CdtTrfTxInf"
        assert texts(root, f"{tx}/p:PmtId/p:EndToEndId") == [
            f"REFUND-{pk(first)}",
            f"REFUND-{pk(second)}",
        ]
        assert texts(root, f"{tx}/p:Amt/p:InstdAmt") == ["20.00", "12.50"]
        assert root.xpath(f"{tx}/p:Amt/p:InstdAmt/@Ccy", namespaces={"p": PAIN_001}) == [
            "EUR",
            "EUR",
        ]
        assert texts(root, f"{tx}/p:CdtrAcct/p:Id/p:IBAN") == [PAYER_IBAN, OTHER_IBAN]
        # Names in the SEPA character set (sepaxml transliterates).
        assert texts(root, f"{tx}/p:Cdtr/p:Nm") == ["P. Pieterse", "Piet Pieterse-Olmez"]
        assert texts(root, f"{tx}/p:RmtInf/p:Ustrd") == [
            f"KVK toegangscode: terugstorting tegoed REFUND-{pk(first)}",
            f"KVK toegangscode: terugstorting tegoed REFUND-{pk(second)}",
        ]

        # each refund is in one file: the second run finds nothing to pay out
        assert again["__typename"] == "InvalidState"
        statuses = await refund_statuses(staff)
        assert statuses == {
            first: "PAID_OUT",
            second: "PAID_OUT",
            pending["refundRequest"]["id"]: "REQUESTED",
        }
        batches = await payout_batches(app)
        assert batches[pk(first)] == batches[pk(second)] == pk(record["id"])
        assert batches[pk(pending["refundRequest"]["id"])] is None
        # the ledger booked the payout when staff approved: the file changes no balance
        assert await ledger_view(client) == before
        assert len(await outbox(app)) == mails_before
        listed = await bank_files(staff, "PAIN_001")
        assert [(f["id"], f["sha256"]) for f in listed] == [(record["id"], record["sha256"])]
        # customers cannot download a bank file (it answers like a missing one)
        assert (await client.get(record["downloadUrl"])).status_code == 404
        # the record never changes (the database refuses)
        with pytest.raises(DBAPIError, match="never change"):
            async with app.state.deps.db.write() as session:
                await session.execute(text("UPDATE bank_file SET transactions = 0"))
                await session.commit()
    await assert_ledger_holds(app)


async def test_a_payout_the_bank_rejects_returns_to_the_balance_once_and_a_second_import_changes_nothing(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given: refunds 1 and 2 paid out in one file, which the committed sample reports on
    async with private_client(app) as client:
        await fund(app, "piet@example.nl", 5000)
        first = await approved_refund(client, staff, 2000, PAYER_IBAN, "P. Pieterse")
        second = await approved_refund(client, staff, 1250, OTHER_IBAN, "P. Pieterse")
        assert (pk(first), pk(second)) == (1, 2)
        made = await create_payouts(staff)
        sample = RETURNED_SAMPLE.read_bytes()
        valid_against("pain.002.001.10", sample)
        mails_before = len(await outbox(app))
        assert (await balance(client))["balanceCents"] == 1750

        # when
        imported = await import_file(staff, sample)
        after_first = (await balance(client), await outbox(app), await stored_counts(app))
        repeated = await import_file(staff, sample, name="again.xml")

        # then: exactly the rejected refund returned, credited back, one mail
        assert imported["__typename"] == "StaffImportBankFilePayload", imported
        assert imported["alreadyImported"] is False
        record = imported["bankFile"]
        assert (record["kind"], record["direction"], record["messageId"]) == (
            "PAIN_002",
            "IN",
            "INGB-PSR-20261201-000417",
        )
        assert record["originalMessageId"] == made["bankFile"]["messageId"]
        assert record["changes"] == [
            {"reference": "REFUND-1", "result": "ACCEPTED", "reasonCode": None, "changed": False},
            {"reference": "REFUND-2", "result": "RETURNED", "reasonCode": "AC04", "changed": True},
        ]
        assert (record["transactionCount"], record["totalCents"]) == (2, 3250)
        assert await refund_statuses(staff) == {first: "PAID_OUT", second: "RETURNED"}
        now, mails, _ = after_first
        assert (now["balanceCents"], now["heldCents"]) == (3000, 0)
        latest = now["transactions"]["edges"][0]["node"]
        assert (latest["kind"], latest["amountCents"]) == ("PAYOUT_RETURNED", 1250)
        [mail] = mails[mails_before:]
        assert (mail.recipient, mail.template) == ("piet@example.nl", "refund_returned")
        assert "12,50" in mail.body and "opgeheven" in mail.body
        assert "NL44 **** **** 6789" in mail.body

        # the same file again: the earlier import answers, nothing changes
        assert repeated["__typename"] == "StaffImportBankFilePayload", repeated
        assert repeated["alreadyImported"] is True
        assert repeated["bankFile"]["id"] == record["id"]
        assert (await balance(client), await outbox(app), await stored_counts(app)) == after_first
        assert await refund_statuses(staff) == {first: "PAID_OUT", second: "RETURNED"}
        listed = await bank_files(staff)
        assert [(f["kind"], f["originalMessageId"]) for f in listed] == [
            ("PAIN_002", made["bankFile"]["messageId"]),
            ("PAIN_001", None),
        ]
    await assert_ledger_holds(app)


@sqlite_only
async def test_a_payout_day_in_the_past_or_too_far_ahead_is_refused_and_a_later_day_is_asked(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given: one approved refund
    today = local_date(app.state.deps.clock.now())
    async with private_client(app) as client:
        await fund(app, "piet@example.nl", 5000)
        refund = await approved_refund(client, staff, 2000, PAYER_IBAN, "P. Pieterse")

        # when
        past = await create_payouts(staff, executionDate=str(today - timedelta(days=1)))
        far = await create_payouts(staff, executionDate=str(today + timedelta(days=61)))
        later = await create_payouts(staff, executionDate=str(today + timedelta(days=60)))

    # then
    for refused, says in ((past, "verleden"), (far, "60 dagen")):
        assert refused["__typename"] == "InvalidInput", refused
        [problem] = refused["problems"]
        assert problem["field"] == ["executionDate"] and says in problem["message"]
    assert later["__typename"] == "StaffCreateRefundPayoutsPayload", later
    assert later["refundRequestIds"] == [refund]
    data = (await staff.get(later["bankFile"]["downloadUrl"])).content
    root = valid_against("pain.001.001.09", data)
    assert texts(root, "//p:PmtInf/p:ReqdExctnDt/p:Dt") == [str(today + timedelta(days=60))]


async def test_payout_runs_at_once_put_every_approved_refund_in_exactly_one_file(
    app: Starlette,
) -> None:
    # given: six approved refunds of two customers
    deps = app.state.deps
    await add_staff(app)
    staff_id = await account_id_of(app, "medewerker@kvk.example")
    staff_caller = Caller("10.0.0.9", "nl", "t", account_id=staff_id, is_staff=True)
    expected = set()
    for email in ("piet@example.nl", "anna@example.nl"):
        await add_account(app, email=email)
        account_id = await fund(app, email, 10_000)
        customer = Caller("127.0.0.1", "nl", "t", account_id=account_id)
        for amount in (1000, 1500, 2500):
            view = await refunds.request_refund(
                deps,
                caller=customer,
                amount_cents=amount,
                iban=PAYER_IBAN,
                account_holder="P. Pieterse",
                reason="",
            )
            await refunds.approve_refund(deps, caller=staff_caller, refund_id=view.id)
            expected.add(view.id)

    # when: four runs at once, from staff and from the command line
    async def run(caller: Caller | None) -> payouts.PayoutFile | None:
        try:
            return await payouts.create_refund_payouts(deps, caller=caller)
        except InvalidStateError:
            return None

    results = await asyncio.gather(run(staff_caller), run(None), run(staff_caller), run(None))

    # then: the files together hold every refund once
    made = [r for r in results if r is not None]
    assert made
    paid = [refund_id for r in made for refund_id in r.refund_ids]
    assert sorted(paid) == sorted(expected)
    batches = await payout_batches(app)
    for result in made:
        assert {batches[i] for i in result.refund_ids} == {result.bank_file.id}
        assert result.bank_file.transactions == len(result.refund_ids)
    assert (await stored_counts(app))[0] == len(made)
