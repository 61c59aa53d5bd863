"""Reminders (issue "Invoices, direct-debit collection, ..." part 8): an invoice whose
direct debit failed gets a reminder 14 days after its due date with an EPC QR code to pay
by transfer, then a formal notice 14 days later, each once; after the formal notice the
payer's direct-debit orders are refused until the invoice is paid (camt.054 or staff)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import anyio
import httpx
import pypdf
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.bank_files import BankFileChannel
from gql.models.invoices import InvoiceStatus
from gql.services.bank_files import imports
from gql.services.invoices import collections, reminders
from tests.bank_files.support import SAMPLES
from tests.collections.support import DUE, invoice, invoiced, record_transfer
from tests.invoices.support import amsterdam, signed_in
from tests.orders.support import order_input, place
from tests.payments.support import sqlite_only
from tests.support.api import outbox

CAMT_SAMPLE = SAMPLES / "camt.054-transfer-for-an-invoice.xml"
REJECTED_SAMPLE = SAMPLES / "pain.002-collections-one-rejected.xml"


async def import_sample(app: Starlette, path: Path, tmp_path: Path) -> imports.ImportReceipt:
    """The command's import (weeks pass in these tests: longer than a staff session)."""
    copy = tmp_path / path.name
    await anyio.Path(copy).write_bytes(await anyio.Path(path).read_bytes())
    return await imports.import_bank_file(
        app.state.deps,
        caller=None,
        upload=imports.UploadedBankFile(copy, copy.stat().st_size),
        channel=BankFileChannel.CLI,
    )


async def failed_collection(app: Starlette, clock: FrozenClock, tmp_path: Path) -> str:
    """Piet's invoice 2026-000002 (EUR 11.95, due 29 November): its direct debit failed."""
    await invoiced(app, clock)
    clock.set(amsterdam(2026, 11, 26, 10))
    await collections.create_collections(app.state.deps, caller=None, collection_date=DUE)
    clock.set(amsterdam(2026, 11, 30, 10))
    await import_sample(app, REJECTED_SAMPLE, tmp_path)
    return "2026-000002"


def qr_lines(pdf: bytes, tmp_path: Path) -> list[str]:
    """The QR code in the PDF, read by zbarimg (zbar-tools), line by line."""
    [image] = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    png = tmp_path / "qr.png"
    assert image.image is not None
    image.image.save(png)
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sbinary", str(png)],
        capture_output=True,
        check=True,
        timeout=20,
    )
    return found.stdout.decode().rstrip("\n").split("\n")


async def test_a_failed_collection_gets_a_reminder_with_a_qr_code_then_a_formal_notice_once(
    app: Starlette, clock: FrozenClock, tmp_path: Path
) -> None:
    # given
    number = await failed_collection(app, clock, tmp_path)
    deps = app.state.deps
    mails_before = len(await outbox(app))

    # when: the day before, and then 14 days after the due date (twice)
    clock.set(amsterdam(2026, 12, 12, 10))
    early = await reminders.send_due_reminders(deps, now=clock.now())
    clock.set(amsterdam(2026, 12, 13, 10))
    sent = await reminders.send_due_reminders(deps, now=clock.now())
    again = await reminders.send_due_reminders(deps, now=clock.now())

    # then: one reminder mail to Piet, with a PDF whose QR code pays the invoice
    assert (early, sent, again) == (0, 1, 0)
    [mail] = (await outbox(app))[mails_before:]
    assert (mail.template, mail.recipient) == ("invoice_reminder", "piet@example.nl")
    assert number in mail.body and "geen kosten" in mail.body
    pdf = await attachment_of(app, mail.id)
    settings = deps.settings
    assert qr_lines(pdf, tmp_path) == [
        "BCD",
        "002",
        "1",
        "SCT",
        settings.creditor_bic,
        settings.creditor_name,
        settings.creditor_iban,
        "EUR11.95",
        "",
        "",
        number,
    ]
    assert "Betalingsherinnering" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    # when: 14 days after the reminder, the formal notice; not before
    clock.set(amsterdam(2026, 12, 26, 10))
    early = await reminders.send_due_reminders(deps, now=clock.now())
    clock.set(amsterdam(2026, 12, 27, 10))
    notice = await reminders.send_due_reminders(deps, now=clock.now())
    again = await reminders.send_due_reminders(deps, now=clock.now())

    # then
    assert (early, notice, again) == (0, 1, 0)
    templates = [m.template for m in (await outbox(app))[mails_before:]]
    assert templates == ["invoice_reminder", "invoice_formal_notice"]


async def attachment_of(app: Starlette, message_id: int | None) -> bytes:
    from gql.mail.attachments import load_attachments
    from gql.models.outbox import OutboxMessage

    async with app.state.deps.db.read() as session:
        message = await session.get(OutboxMessage, message_id)
    assert message is not None
    [attachment] = await load_attachments(app.state.deps.db, message)
    return attachment.data


async def test_after_a_formal_notice_direct_debit_orders_are_refused_until_paid_by_transfer(
    app: Starlette, clock: FrozenClock, tmp_path: Path
) -> None:
    # given: Piet's invoice past its formal notice
    number = await failed_collection(app, clock, tmp_path)
    deps = app.state.deps
    for day in (13, 27):
        clock.set(amsterdam(2026, 12, day, 10))
        assert await reminders.send_due_reminders(deps, now=clock.now()) == 1
    codes = await invoiced_codes(app)

    # when
    async with signed_in(app, codes["piet"]) as client:
        refused = await place(client, order_input())

    # then
    assert refused["__typename"] == "InvalidState", refused
    assert "Servicecentrum" in refused["message"]

    # when: the bank's notification of Piet's transfer (and a partial one for the other)
    clock.set(amsterdam(2026, 12, 29, 9))
    receipt = await import_sample(app, CAMT_SAMPLE, tmp_path)
    twice = await import_sample(app, CAMT_SAMPLE, tmp_path)

    # then: paid; ordering by direct debit works again; the wrong amount changed nothing
    changes = {(c.reference, c.result, c.changed) for c in receipt.bank_file.changes}
    assert changes == {(number, "PAID", True), ("2026-000001", "ALREADY_PAID", False)}
    assert twice.already_imported
    paid = await invoice(app, number)
    assert paid.status == InvoiceStatus.PAID and paid.paid_at == clock.now()
    async with signed_in(app, codes["piet"]) as client:
        placed = await place(client, order_input())
    assert placed["__typename"] == "PlaceOrderPayload", placed
    assert placed["order"]["paymentMethod"] == "DIRECT_DEBIT"
    # and no reminder follows a paid invoice
    clock.set(amsterdam(2027, 2, 1, 10))
    assert await reminders.send_due_reminders(deps, now=clock.now()) == 0


async def invoiced_codes(app: Starlette) -> dict[str, str]:
    from sqlalchemy import select

    from gql.models.accounts import Account

    async with app.state.deps.db.read() as session:
        code = await session.scalar(
            select(Account.access_code).where(Account.email == "piet@example.nl")
        )
    assert code is not None
    return {"piet": code}


async def test_staff_record_a_transfer_of_the_exact_total_once(
    app: Starlette, staff: httpx.AsyncClient, clock: FrozenClock, tmp_path: Path
) -> None:
    # given: Piet's failed collection (staff signed in just now)
    number = await failed_collection(app, clock, tmp_path)

    # when
    wrong = await record_transfer(
        staff, invoiceNumber=number, amountCents=1000, receivedOn="2026-11-30"
    )
    unknown = await record_transfer(
        staff, invoiceNumber="2026-000099", amountCents=1195, receivedOn="2026-11-30"
    )
    recorded = await record_transfer(
        staff, invoiceNumber=number, amountCents=1195, receivedOn="2026-11-30"
    )
    twice = await record_transfer(
        staff, invoiceNumber=number, amountCents=1195, receivedOn="2026-11-30"
    )

    # then
    assert wrong["__typename"] == "InvalidInput"
    assert wrong["problems"][0]["field"] == ["amountCents"]
    assert unknown["__typename"] == "NotFound"
    assert recorded == {
        "__typename": "StaffRecordTransferPayload",
        "invoiceNumber": number,
        "message": f"Factuur {number} is betaald met een overboeking van €\xa011,95.",
    }
    assert twice["__typename"] == "InvalidState"
    assert (await invoice(app, number)).status == InvoiceStatus.PAID
    from tests.support.backoffice import audit_rows

    events = [r for r in await audit_rows(app) if r.action == "invoice.transfer_recorded"]
    assert len(events) == 1


@sqlite_only
async def test_business_invoices_by_post_get_their_reminder_by_post(
    app: Starlette, clock: FrozenClock, tmp_path: Path
) -> None:
    # given: Testbedrijf's invoice (by post) whose collection failed too
    await invoiced(app, clock)
    clock.set(amsterdam(2026, 11, 26, 10))
    await collections.create_collections(app.state.deps, caller=None, collection_date=DUE)
    rejected = REJECTED_SAMPLE.read_text().replace(">ACSC<", ">RJCT<")
    every = tmp_path / "all-rejected.xml"
    every.write_text(rejected.replace("INGB-PSR-20261130-000522", "INGB-PSR-20261130-000523"))
    clock.set(amsterdam(2026, 11, 30, 10))
    await import_sample(app, every, tmp_path)
    mails_before = len(await outbox(app))

    # when
    clock.set(amsterdam(2026, 12, 13, 10))
    sent = await reminders.send_due_reminders(app.state.deps, now=clock.now())

    # then: a letter for the organisation, a mail for Piet
    assert sent == 2
    new = (await outbox(app))[mails_before:]
    assert sorted((m.channel.value, m.template) for m in new) == [
        ("EMAIL", "invoice_reminder"),
        ("POST", "invoice_reminder_letter"),
    ]
    letter = next(m for m in new if m.channel.value == "POST")
    assert letter.file_id is not None
