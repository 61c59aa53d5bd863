"""Digital invoices and a changed invoice e-mail address (seed: "Kies voor digitale facturen";
"een gewijzigd factuur-e-mailadres wordt gemeld met het nieuwe en het oude adres en het
KVK-nummer"): the main user only; a mismatch changes nothing and never says what differs."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from gql.clock import FrozenClock
from tests.invoices.support import (
    KVK,
    OCTOBER,
    add_dd_order,
    amsterdam,
    invoices_in_db,
    run,
    signed_in,
)
from tests.orders.support import organisation
from tests.payments.support import private_client, sqlite_only
from tests.support.api import gql, outbox

REQUEST = """
mutation Digital($input: RequestDigitalInvoicesInput!) {
  requestDigitalInvoices(input: $input) {
    __typename
    ... on RequestDigitalInvoicesPayload { invoiceDelivery { kvkNumber channel email } message }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""
CHANGE = """
mutation Change($input: ChangeInvoiceEmailInput!) {
  changeInvoiceEmail(input: $input) {
    __typename
    ... on ChangeInvoiceEmailPayload { invoiceDelivery { channel email } message }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""
DELIVERY = "query { invoiceDelivery { kvkNumber channel email } }"


def change(old: str, new: str, kvk: str = KVK) -> dict[str, object]:
    return {"input": {"oldEmail": old, "newEmail": new, "kvkNumber": kvk}}


async def test_digital_invoices_go_by_e_mail_from_then_on_with_both_confirmed(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, 10, 10))
    async with signed_in(app, codes["main"]) as main:
        before = await gql(main, DELIVERY)
        # when
        answer = await gql(main, REQUEST, {"input": {"email": "Facturen@Testbedrijf.nl"}})
        after = await gql(main, DELIVERY)
    # then
    assert before["data"]["invoiceDelivery"] == {"kvkNumber": KVK, "channel": "POST", "email": None}
    result = answer["data"]["requestDigitalInvoices"]
    assert result["__typename"] == "RequestDigitalInvoicesPayload"
    assert result["invoiceDelivery"] == {
        "kvkNumber": KVK,
        "channel": "EMAIL",
        "email": "facturen@testbedrijf.nl",
    }
    assert after["data"]["invoiceDelivery"]["channel"] == "EMAIL"
    confirmations = [m for m in await outbox(app) if m.template == "digital_invoices_confirmed"]
    assert sorted(m.recipient for m in confirmations) == [
        "facturen@testbedrijf.nl",
        "hoofd@testbedrijf.nl",
    ]
    assert all(KVK in m.body and "facturen@testbedrijf.nl" in m.body for m in confirmations)
    # the next invoice goes by e-mail, with its PDF, instead of by post
    clock.set(amsterdam(2026, 11, 1, 1))
    await run(app, OCTOBER)
    [invoice] = await invoices_in_db(app)
    assert (invoice.delivery_channel, invoice.delivery_email) == (
        "EMAIL",
        "facturen@testbedrijf.nl",
    )
    messages = await outbox(app)
    [mail] = [m for m in messages if m.template == "invoice_issued"]
    assert mail.recipient == "facturen@testbedrijf.nl" and mail.attachment_count == 1
    assert [m for m in messages if m.channel == "POST"] == []


async def test_a_changed_invoice_address_is_confirmed_to_both_naming_new_old_and_kvk_number(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    codes = await organisation(app)
    async with signed_in(app, codes["main"]) as main:
        await gql(main, REQUEST, {"input": {"email": "facturen@testbedrijf.nl"}})
        # when
        answer = await gql(main, CHANGE, change("FACTUREN@testbedrijf.nl", "boekhouding@nieuw.nl"))
        after = await gql(main, DELIVERY)
    # then
    assert answer["data"]["changeInvoiceEmail"]["invoiceDelivery"] == {
        "channel": "EMAIL",
        "email": "boekhouding@nieuw.nl",
    }
    assert after["data"]["invoiceDelivery"]["email"] == "boekhouding@nieuw.nl"
    mails = [m for m in await outbox(app) if m.template == "invoice_email_changed"]
    assert sorted(m.recipient for m in mails) == ["boekhouding@nieuw.nl", "facturen@testbedrijf.nl"]
    for mail in mails:
        assert "Nieuw e-mailadres: boekhouding@nieuw.nl" in mail.body
        assert "Oud e-mailadres: facturen@testbedrijf.nl" in mail.body
        assert f"KVK-nummer: {KVK}" in mail.body


async def test_a_wrong_old_address_or_kvk_number_answers_the_same_and_changes_nothing(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    codes = await organisation(app)
    async with signed_in(app, codes["main"]) as main:
        await gql(main, REQUEST, {"input": {"email": "facturen@testbedrijf.nl"}})
        sent_before = len(await outbox(app))
        # when
        wrong_old = await gql(main, CHANGE, change("iemand@anders.nl", "boef@example.nl"))
        wrong_kvk = await gql(
            main, CHANGE, change("facturen@testbedrijf.nl", "boef@example.nl", "87654321")
        )
        after = await gql(main, DELIVERY)
    # then: one neutral answer, word for word, and nothing changed or sent
    assert wrong_old == wrong_kvk
    result = wrong_old["data"]["changeInvoiceEmail"]
    assert (result["__typename"], result["code"], result["field"]) == (
        "InvoiceEmailMismatch",
        "INVOICE_EMAIL_MISMATCH",
        None,
    )
    assert after["data"]["invoiceDelivery"]["email"] == "facturen@testbedrijf.nl"
    assert len(await outbox(app)) == sent_before


@sqlite_only
async def test_other_codes_private_accounts_and_staff_are_forbidden_and_nothing_changes(
    app: Starlette, clock: FrozenClock, staff: httpx.AsyncClient
) -> None:
    # given
    codes = await organisation(app)
    async with signed_in(app, codes["main"]) as main:
        await gql(main, REQUEST, {"input": {"email": "facturen@testbedrijf.nl"}})
    sent_before = len(await outbox(app))
    async with (
        signed_in(app, codes["second"]) as second,
        private_client(app, email="kees@example.nl") as private,
    ):
        for caller in (second, private, staff):
            # when
            asked = await gql(caller, REQUEST, {"input": {"email": "boef@example.nl"}})
            changed = await gql(
                caller, CHANGE, change("facturen@testbedrijf.nl", "boef@example.nl")
            )
            read = await gql(caller, DELIVERY)
            # then
            for body in (asked, changed, read):
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    async with signed_in(app, codes["main"]) as main:
        assert (await gql(main, DELIVERY))["data"]["invoiceDelivery"]["email"] == (
            "facturen@testbedrijf.nl"
        )
    assert len(await outbox(app)) == sent_before


@sqlite_only
async def test_an_invalid_new_address_is_refused_naming_the_field(
    app: Starlette, clock: FrozenClock
) -> None:
    codes = await organisation(app)
    async with signed_in(app, codes["main"]) as main:
        asked = await gql(main, REQUEST, {"input": {"email": "geen adres"}})
        changed = await gql(main, CHANGE, change("x@example.nl", "a@b@c"))
    assert asked["data"]["requestDigitalInvoices"]["problems"][0]["field"] == ["email"]
    assert changed["data"]["changeInvoiceEmail"]["problems"][0]["field"] == ["newEmail"]


@sqlite_only
async def test_digital_invoice_requests_are_throttled_per_address(
    app: Starlette, clock: FrozenClock
) -> None:
    codes = await organisation(app)
    async with signed_in(app, codes["main"]) as main:
        answers = [
            await gql(main, REQUEST, {"input": {"email": "facturen@testbedrijf.nl"}})
            for _ in range(6)
        ]
    assert all("errors" not in a for a in answers[:5])
    assert answers[5]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
