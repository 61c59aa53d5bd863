"""Copy invoices (seed: "Vraag een kopiefactuur aan ... Je krijgt de factuur in pdf-formaat per
e-mail"; "Betaal je de bestelling direct met iDEAL of creditcard? Dan ... kunnen wij geen
kopiefactuur sturen"): the stored PDF, byte for byte, at a real SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.settings import Settings
from tests.invoices.support import (
    OCTOBER,
    add_dd_order,
    amsterdam,
    dispatch,
    invoices_in_db,
    run,
    signed_in,
    stored_pdf,
)
from tests.orders.support import organisation
from tests.payments.support import pay, private_client, sqlite_only
from tests.support.api import gql, make_settings, outbox, running_app
from tests.support.live import SmtpInbox, smtp_inbox

COPY = """
mutation Copy($input: RequestInvoiceCopyInput!) {
  requestInvoiceCopy(input: $input) {
    __typename
    ... on RequestInvoiceCopyPayload { invoice { number } sentTo message }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    with smtp_inbox() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, inbox: SmtpInbox) -> Settings:
    """The app sends mail to the test's SMTP server."""
    return make_settings(
        database_url, tmp_path / "data", smtp_host="127.0.0.1", smtp_port=inbox.port
    )


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    async with running_app(settings, clock) as application:
        yield application


@sqlite_only
async def test_a_copy_invoice_arrives_at_the_smtp_server_with_the_stored_pdf_byte_for_byte(
    app: Starlette, clock: FrozenClock, inbox: SmtpInbox
) -> None:
    # given: a private account with a top-up invoice
    async with private_client(app) as client:
        await pay(app, client, 2500)
        [invoice] = await invoices_in_db(app)
        # when
        answer = await gql(client, COPY, {"input": {"invoiceNumber": f" {invoice.number} "}})
    await dispatch(app)
    # then
    result = answer["data"]["requestInvoiceCopy"]
    assert (result["__typename"], result["sentTo"]) == (
        "RequestInvoiceCopyPayload",
        "piet@example.nl",
    )
    mail = inbox.wait_for(lambda m: m["Subject"] == f"Kopiefactuur {invoice.number}")
    assert mail["To"] == "piet@example.nl"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"factuur-{invoice.number}.pdf"
    assert attachment.get_content() == await stored_pdf(app, invoice.file_id)


@sqlite_only
async def test_a_business_copy_goes_to_the_digital_invoice_address_when_there_is_one(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 10))
    clock.set(amsterdam(2026, 11, 1, 1))
    await run(app, OCTOBER)
    [invoice] = await invoices_in_db(app)
    async with signed_in(app, codes["main"]) as main:
        by_post = await gql(main, COPY, {"input": {"invoiceNumber": invoice.number}})
        await gql(
            main,
            "mutation($i: RequestDigitalInvoicesInput!) { requestDigitalInvoices(input: $i) "
            "{ __typename } }",
            {"i": {"email": "facturen@testbedrijf.nl"}},
        )
        digital = await gql(main, COPY, {"input": {"invoiceNumber": invoice.number}})
    # then
    assert by_post["data"]["requestInvoiceCopy"]["sentTo"] == "hoofd@testbedrijf.nl"
    assert digital["data"]["requestInvoiceCopy"]["sentTo"] == "facturen@testbedrijf.nl"
    copies = [m for m in await outbox(app) if m.template == "invoice_copy"]
    assert [(m.recipient, m.attachment_count) for m in copies] == [
        ("hoofd@testbedrijf.nl", 1),
        ("facturen@testbedrijf.nl", 1),
    ]


@sqlite_only
async def test_unknown_numbers_and_another_payers_answer_the_same_not_found_about_ideal(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: an invoice of Piet's; Kees has none
    async with private_client(app) as piet:
        await pay(app, piet, 2500)
    [invoice] = await invoices_in_db(app)
    codes = await organisation(app)
    async with (
        private_client(app, email="kees@example.nl") as kees,
        signed_in(app, codes["second"]) as second,
    ):
        # when
        theirs = await gql(kees, COPY, {"input": {"invoiceNumber": invoice.number}})
        unknown = await gql(kees, COPY, {"input": {"invoiceNumber": "2026-999999"}})
        other_code = await gql(second, COPY, {"input": {"invoiceNumber": invoice.number}})
        malformed = await gql(kees, COPY, {"input": {"invoiceNumber": "factuur 12"}})
    # then
    assert theirs == unknown == other_code
    result = theirs["data"]["requestInvoiceCopy"]
    assert (result["__typename"], result["code"], result["field"]) == (
        "NotFound",
        "NOT_FOUND",
        ["invoiceNumber"],
    )
    assert "iDEAL" in result["message"] and "bewijs van betaling" in result["message"]
    assert malformed["data"]["requestInvoiceCopy"]["__typename"] == "InvalidInput"
    assert [m for m in await outbox(app) if m.template == "invoice_copy"] == []


@sqlite_only
async def test_copies_are_throttled_per_address(app: Starlette, clock: FrozenClock) -> None:
    async with private_client(app) as client:
        await pay(app, client, 2500)
        [invoice] = await invoices_in_db(app)
        answers = [
            await gql(client, COPY, {"input": {"invoiceNumber": invoice.number}}) for _ in range(6)
        ]
    assert all(a["data"]["requestInvoiceCopy"]["__typename"] for a in answers[:5])
    assert answers[5]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert len([m for m in await outbox(app) if m.template == "invoice_copy"]) == 5
