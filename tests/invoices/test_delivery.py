"""What an invoice says and where it goes (SPEC §3.4, seed: "Het factuuradres is altijd gelijk
aan het geregistreerde bezoek- of postadres ... We passen het factuuradres automatisch aan"):
business invoices by post to the address read at issue, as the stored PDF itself; private
ones and top-ups by e-mail with the stored PDF attached; the PDF's text readable."""

from __future__ import annotations

import email
import hashlib
from email.policy import default as default_policy
from pathlib import Path

import httpx
from sqlalchemy import select, update
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.invoices import InvoiceCounter
from gql.models.outbox import OutboxAttachment
from gql.services.invoices import top_ups
from gql.services.shared.outbox import remove_sent
from tests.invoices.support import (
    INVOICES,
    NOVEMBER,
    OCTOBER,
    add_dd_order,
    amsterdam,
    dispatch,
    edges,
    invoices_in_db,
    private_on_direct_debit,
    run,
    stored_pdf,
)
from tests.orders.support import organisation
from tests.payments.support import (
    assert_ledger_holds,
    balance,
    pay,
    private_client,
    sqlite_only,
)
from tests.support.api import gql, outbox
from tests.support.backoffice import RECORD_ADDRESS
from tests.support.factories import add_company, pdf_text

NEW_POSTAL = {
    "street": "Postbus",
    "houseNumber": "2040",
    "postalCode": "3500 GA",
    "city": "Utrecht",
}


def _letters(app: Starlette) -> list[Path]:
    return sorted((app.state.deps.settings.data_dir / "letters").glob("*.pdf"))


def _flat(text: str) -> str:
    """PDF text with its spaces (also the non-breaking one in amounts) made plain."""
    return " ".join(text.replace("\xa0", " ").split())


async def test_the_address_story_invoice_one_by_post_an_address_change_invoice_two_follows_it(
    app: Starlette, clock: FrozenClock, staff: httpx.AsyncClient
) -> None:
    # given: invoice 1 of October, by post to the registered (visiting) address
    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 10))
    clock.set(amsterdam(2026, 11, 1, 1))
    await run(app, OCTOBER)
    [first] = await invoices_in_db(app)
    first_pdf = await stored_pdf(app, first.file_id)
    await dispatch(app)
    # when: staff record the organisation's new postal address; a November order is invoiced
    moved = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": "12345678", "postalAddress": NEW_POSTAL}}
    )
    assert moved["data"]["staffRecordAddressChange"]["__typename"] == (
        "StaffRecordAddressChangePayload"
    )
    await add_dd_order(app, codes["second"], placed_at=amsterdam(2026, 11, 5))
    clock.set(amsterdam(2026, 12, 1, 1))
    await run(app, NOVEMBER)
    await dispatch(app)
    # then: each went by post to the address of its moment, as its stored PDF byte for byte
    first_again, second = await invoices_in_db(app)
    assert first_again.address == "Kerkstraat 1\n1234 AB Amsterdam"
    assert second.address == "Postbus 2040\n3500 GA Utrecht"
    assert (first.delivery_channel, second.delivery_channel) == ("POST", "POST")
    second_pdf = await stored_pdf(app, second.file_id)
    assert [path.read_bytes() for path in _letters(app)] == [first_pdf, second_pdf]
    assert "Kerkstraat 1" in pdf_text(first_pdf) and "Postbus 2040" not in pdf_text(first_pdf)
    assert "Postbus 2040" in pdf_text(second_pdf) and "3500 GA Utrecht" in pdf_text(second_pdf)
    # invoice 1 is as it was issued: its row and its stored PDF, byte for byte
    assert await stored_pdf(app, first.file_id) == first_pdf
    assert (first_again.file_id, first_again.address) == (first.file_id, first.address)
    letters = [m for m in await outbox(app) if m.channel == "POST"]
    assert [m.file_id for m in letters] == [first.file_id, second.file_id]
    assert [m.address for m in letters] == [first.address, second.address]


@sqlite_only
async def test_a_pdf_reader_finds_number_dates_total_mandate_and_the_no_vat_statement(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 10), price_cents=1195)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 11), price_cents=2805)
    clock.set(amsterdam(2026, 11, 1, 1))
    await run(app, OCTOBER)
    [invoice] = await invoices_in_db(app)
    # when
    text = _flat(pdf_text(await stored_pdf(app, invoice.file_id)))
    # then
    assert "Factuur 2026-000001" in text
    assert "Factuurdatum 1 november 2026" in text
    assert "Vervaldatum 29 november 2026" in text
    assert "Periode oktober 2026" in text
    assert "Totaal € 40,00" in text
    assert "Btw € 0,00" in text
    assert "Geen btw: over producten van het Handelsregister wordt geen btw berekend." in text
    assert f"Machtigingskenmerk {invoice.mandate_reference}" in text
    assert "Incassodatum 29 november 2026" in text
    assert "IBAN NL91 **** **** 4300" in text
    assert "€ 11,95" in text and "€ 28,05" in text
    assert "Testbedrijf B.V. (KVK 12345678)" in text


async def test_a_top_up_is_invoiced_paid_and_mailed_with_its_stored_pdf_attached(
    app: Starlette, clock: FrozenClock
) -> None:
    # given / when: a top-up the provider confirms
    async with private_client(app) as client:
        await pay(app, client, 2500)
        [seen] = edges(await gql(client, INVOICES))
    # then
    [invoice] = await invoices_in_db(app)
    assert (invoice.kind, invoice.status, invoice.payment_method) == (
        "TOP_UP",
        "PAID",
        "PAID_ONLINE",
    )
    assert invoice.total_cents == 2500 and invoice.paid_at is not None
    assert (seen["number"], seen["totalCents"], seen["vatCents"]) == (invoice.number, 2500, 0)
    assert seen["lines"] == [
        {
            "orderReference": None,
            "productCode": None,
            "description": "Tegoed storten",
            "kvkNumber": None,
            "companyName": None,
            "date": invoice.issue_date.isoformat(),
            "amountCents": 2500,
        }
    ]
    [mail] = [m for m in await outbox(app) if m.template == "invoice_issued"]
    assert mail.recipient == "piet@example.nl" and invoice.number in mail.subject
    assert "al betaald" in mail.body
    pdf = await stored_pdf(app, invoice.file_id)
    text = _flat(pdf_text(pdf))
    assert "Vooraf betaald (iDEAL)" in text and "Totaal € 25,00" in text
    # sent: the mail carries the stored PDF byte for byte
    await dispatch(app)
    [eml] = (app.state.deps.settings.data_dir / "mail").glob(f"*-{mail.id:08d}.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    [attachment] = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == f"factuur-{invoice.number}.pdf"
    assert attachment.get_content() == pdf
    # once sent mail is past its retention, its attachments go with it; the invoice stays
    clock.advance(days=31)
    assert await remove_sent(app.state.deps, now=clock.now()) >= 1
    async with app.state.deps.db.read() as session:
        assert (await session.execute(select(OutboxAttachment))).all() == []
    assert await stored_pdf(app, invoice.file_id) == pdf


@sqlite_only
async def test_a_private_direct_debit_payer_gets_its_monthly_invoice_by_e_mail(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    clock.set(amsterdam(2026, 10, 1, 9))
    await add_company(app)
    code = await private_on_direct_debit(app)
    await add_dd_order(app, code, placed_at=amsterdam(2026, 10, 10))
    clock.set(amsterdam(2026, 11, 1, 1))
    # when
    await run(app, OCTOBER)
    # then
    [invoice] = await invoices_in_db(app)
    assert (invoice.delivery_channel, invoice.delivery_email) == ("EMAIL", "piet@example.nl")
    assert invoice.address == "piet@example.nl" and invoice.payer_name == "Piet Pieterse"
    [mail] = [m for m in await outbox(app) if m.template == "invoice_issued"]
    assert "29 november 2026" in mail.body and "NL91 **** **** 4300" in mail.body


@sqlite_only
async def test_a_mail_whose_stored_attachment_differs_is_not_sent(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: a queued invoice mail whose recorded SHA-256 no longer matches the stored file
    async with private_client(app) as client:
        await pay(app, client, 2500)
    [mail] = [m for m in await outbox(app) if m.template == "invoice_issued"]
    async with app.state.deps.db.write() as session:
        attachment = (
            await session.execute(
                select(OutboxAttachment).where(OutboxAttachment.message_id == mail.id)
            )
        ).scalar_one()
        attachment.sha256 = hashlib.sha256(b"something else").hexdigest()
        await session.commit()
    # when
    await dispatch(app)
    # then
    [after] = [m for m in await outbox(app) if m.id == mail.id]
    assert after.sent_at is None
    assert after.last_error is not None and "SHA-256" in after.last_error


async def test_a_top_up_whose_invoice_fails_is_credited_anyway_and_the_sweep_invoices_it_later(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: a first top-up invoiced, then the year's counter set back (its next number is
    # taken), so the next invoice cannot be written
    async with private_client(app) as client:
        await pay(app, client, 2500)
        async with app.state.deps.db.write() as session:
            await session.execute(update(InvoiceCounter).values(last_number=0))
            await session.commit()
        # when: a second top-up is confirmed
        await pay(app, client, 1000)
        after = await balance(client)
    # then: the money is credited; only its invoice waits
    assert after["balanceCents"] == 3500
    assert [i.total_cents for i in await invoices_in_db(app)] == [2500]
    # when: the counter is right again and the worker's hourly sweep runs
    async with app.state.deps.db.write() as session:
        await session.execute(update(InvoiceCounter).values(last_number=1))
        await session.commit()
    swept = await top_ups.issue_missing_top_up_invoices(app.state.deps, now=clock.now())
    # then
    assert swept == 1
    assert [(i.number[-6:], i.total_cents) for i in await invoices_in_db(app)] == [
        ("000001", 2500),
        ("000002", 1000),
    ]
    await assert_ledger_holds(app)
