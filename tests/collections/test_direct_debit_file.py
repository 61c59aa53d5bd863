"""Direct-debit collection (issue "Invoices, direct-debit collection, ..." part 8): open
direct-debit invoices that are due go to the bank in one pain.008 that validates against
its XSD, each invoice once; the bank's status report (pain.002) makes the accepted ones
paid and tells the payer of a rejected one how to pay by transfer, once."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.invoices import CollectionStatus, InvoiceStatus
from gql.services.invoices import collections
from tests.bank_files.support import SAMPLES, import_file, texts, valid_against
from tests.collections.support import (
    DUE,
    ORGANISATION_CENTS,
    PRIVATE_CENTS,
    bank_file_bytes,
    by_payer,
    create_collections,
    invoice,
    invoiced,
)
from tests.invoices.support import NOVEMBER, add_dd_order, amsterdam, run
from tests.payments.support import sqlite_only
from tests.support.api import outbox
from tests.support.backoffice import audit_rows

REJECTED_SAMPLE = SAMPLES / "pain.002-collections-one-rejected.xml"
TX = "//p:PmtInf/p:DrctDbtTxInf"


async def test_due_invoices_go_out_in_one_pain008_that_validates_and_says_what_is_owed(
    app: Starlette, staff: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: two open direct-debit invoices due on 29 November, on two first-time mandates
    given = await invoiced(app, clock)
    private, organisation = given["private"], given["organisation"]
    clock.set(amsterdam(2026, 11, 26, 10))

    # when: too early a date collects nothing; the due date collects both
    early = await create_collections(staff, collectionDate="2026-11-28")
    made = await create_collections(staff, collectionDate=DUE.isoformat())
    again = await create_collections(staff, collectionDate=DUE.isoformat())

    # then: one file with exactly those two, each invoice now SUBMITTED
    assert early["__typename"] == "InvalidState", early
    assert made["__typename"] == "StaffCreateCollectionsPayload", made
    assert sorted(made["invoiceNumbers"]) == sorted([private.number, organisation.number])
    assert made["bankFile"]["kind"] == "PAIN_008"
    assert made["bankFile"]["transactionCount"] == 2
    assert made["bankFile"]["totalCents"] == PRIVATE_CENTS + ORGANISATION_CENTS
    assert again["__typename"] == "InvalidState", again
    for number in made["invoiceNumbers"]:
        assert (await invoice(app, number)).collection_status == CollectionStatus.SUBMITTED
    [event] = [r for r in await audit_rows(app) if r.action == "collections.created"]
    assert event.subject.startswith("bank_file:")

    # and: its content, field by field
    root = valid_against("pain.008.001.08", await bank_file_bytes(app, made["bankFile"]["id"]))
    settings = app.state.deps.settings
    assert texts(root, "//p:GrpHdr/p:MsgId") == [made["bankFile"]["messageId"]]
    assert texts(root, "//p:GrpHdr/p:NbOfTxs") == ["2"]
    assert texts(root, "//p:GrpHdr/p:CtrlSum") == ["35.85"]
    assert texts(root, "//p:PmtInf/p:PmtTpInf/p:SeqTp") == ["FRST"]
    assert texts(root, "//p:PmtInf/p:PmtTpInf/p:LclInstrm/p:Cd") == ["CORE"]
    assert texts(root, "//p:PmtInf/p:ReqdColltnDt") == ["2026-11-29"]
    assert texts(root, "//p:PmtInf/p:Cdtr/p:Nm") == [settings.creditor_name]
    assert texts(root, "//p:PmtInf/p:CdtrAcct/p:Id/p:IBAN") == [settings.creditor_iban]
    assert texts(root, "//p:PmtInf/p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == [
        settings.creditor_id
    ]
    assert texts(root, f"{TX}/p:PmtId/p:EndToEndId") == made["invoiceNumbers"]
    by_number = {private.number: private, organisation.number: organisation}
    assert texts(root, f"{TX}/p:InstdAmt") == [
        f"{by_number[n].total_cents / 100:.2f}" for n in made["invoiceNumbers"]
    ]
    assert texts(root, f"{TX}/p:DrctDbtTx/p:MndtRltdInf/p:MndtId") == [
        by_number[n].mandate_reference for n in made["invoiceNumbers"]
    ]
    assert texts(root, f"{TX}/p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr") == ["2026-10-05"] * 2
    assert texts(root, f"{TX}/p:DbtrAcct/p:Id/p:IBAN") == ["NL91ABNA0417164300"] * 2
    assert sorted(texts(root, f"{TX}/p:Dbtr/p:Nm")) == ["P. Pieterse", "Testbedrijf B.V."]
    assert texts(root, f"{TX}/p:RmtInf/p:Ustrd") == [
        f"KVK factuur {n}" for n in made["invoiceNumbers"]
    ]


async def test_the_next_collection_on_a_mandate_is_recurrent(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: the October invoices collected (first), then a November order of Piet's
    # (by the command: weeks pass, longer than a staff session lasts)
    deps = app.state.deps
    given = await invoiced(app, clock)
    clock.set(amsterdam(2026, 11, 29, 8))
    await collections.create_collections(deps, caller=None)
    await add_dd_order(app, given["piet"], placed_at=amsterdam(2026, 11, 20), price_cents=995)
    clock.set(amsterdam(2026, 12, 1, 9))
    assert await run(app, NOVEMBER) == 1
    december = (await by_payer(app))["private"]

    # when
    clock.set(amsterdam(2026, 12, 20, 9))
    second = await collections.create_collections(
        deps, caller=None, collection_date=date(2026, 12, 29)
    )

    # then: RCUR, on the same mandate, for the new invoice only
    assert second.invoice_numbers == [december.number]
    root = valid_against("pain.008.001.08", second.data)
    assert texts(root, "//p:PmtInf/p:PmtTpInf/p:SeqTp") == ["RCUR"]
    assert texts(root, "//p:PmtInf/p:ReqdColltnDt") == ["2026-12-29"]
    assert texts(root, f"{TX}/p:InstdAmt") == ["9.95"]
    assert texts(root, f"{TX}/p:DrctDbtTx/p:MndtRltdInf/p:MndtId") == [
        given["private"].mandate_reference
    ]


async def test_concurrent_runs_put_each_invoice_in_one_file(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    given = await invoiced(app, clock)
    clock.set(amsterdam(2026, 11, 26, 10))
    deps = app.state.deps

    # when: three runs at once
    results = await asyncio.gather(
        *(collections.create_collections(deps, caller=None, collection_date=DUE) for _ in range(3)),
        return_exceptions=True,
    )

    # then: one file has both; the others found nothing (or lost the race and rolled back)
    made = [r for r in results if isinstance(r, collections.CollectionFile)]
    assert len(made) == 1, results
    assert sorted(made[0].invoice_numbers) == sorted(
        [given["private"].number, given["organisation"].number]
    )


async def test_the_status_report_pays_the_accepted_and_tells_the_rejected_payer_once(
    app: Starlette, staff: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: the committed pain.002 on the first collection file of a fresh database
    given = await invoiced(app, clock)
    private, organisation = given["private"], given["organisation"]
    clock.set(amsterdam(2026, 11, 26, 10))
    made = await create_collections(staff, collectionDate=DUE.isoformat())
    sample = REJECTED_SAMPLE.read_bytes()
    root = valid_against("pain.002.001.10", sample)
    assert texts(root, "//p:OrgnlGrpInfAndSts/p:OrgnlMsgId") == [made["bankFile"]["messageId"]]
    mails_before = len(await outbox(app))
    clock.set(amsterdam(2026, 11, 30, 10))

    # when
    imported = await import_file(staff, sample)
    twice = await import_file(staff, sample)

    # then: the organisation's collection paid, Piet's rejected (AM04) and still open
    assert imported["__typename"] == "StaffImportBankFilePayload", imported
    assert {
        (c["reference"], c["result"], c["changed"]) for c in imported["bankFile"]["changes"]
    } == {
        (organisation.number, "PAID", True),
        (private.number, "FAILED", True),
    }
    paid = await invoice(app, organisation.number)
    assert (paid.status, paid.collection_status) == (InvoiceStatus.PAID, CollectionStatus.COLLECTED)
    assert paid.paid_at == clock.now()
    failed = await invoice(app, private.number)
    assert (failed.status, failed.collection_status) == (
        InvoiceStatus.OPEN,
        CollectionStatus.FAILED,
    )
    assert failed.paid_at is None
    mails = (await outbox(app))[mails_before:]
    assert [(m.template, m.recipient) for m in mails] == [("collection_failed", "piet@example.nl")]
    body = mails[0].body
    assert "factuur 2026-000002" in body and "€\xa011,95" in body
    assert app.state.deps.settings.creditor_iban in body.replace(" ", "")
    assert "factuurnummer 2026-000002" in body

    # and: twice changes nothing
    assert twice["alreadyImported"] is True
    assert len(await outbox(app)) == mails_before + 1
    assert (await invoice(app, private.number)).collection_status == CollectionStatus.FAILED
    # one attempt only: a failed invoice is not collected again
    again = await create_collections(staff, collectionDate="2026-12-31")
    assert again["__typename"] == "InvalidState", again


@sqlite_only
async def test_a_command_makes_the_file_and_a_bad_date_is_refused(
    app: Starlette, staff: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given
    await invoiced(app, clock)
    clock.set(amsterdam(2026, 11, 26, 10))

    # when
    past = await create_collections(staff, collectionDate="2026-11-01")
    far = await create_collections(staff, collectionDate="2027-06-01")
    made = await collections.create_collections(
        app.state.deps, caller=None, collection_date=date(2026, 11, 29)
    )

    # then
    assert past["__typename"] == "InvalidInput"
    assert past["problems"][0]["field"] == ["collectionDate"]
    assert far["__typename"] == "InvalidInput"
    assert made.bank_file.created_by == "cli"
    assert made.bank_file.transactions == 2
