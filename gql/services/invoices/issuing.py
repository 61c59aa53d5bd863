"""Issuing one invoice: its number, its PDF in the file store, the row with its lines, and
its delivery, all in the caller's transaction.

Who pays is read at the moment of issue and kept on the invoice: an organisation's name and
registered postal address (else its visiting address), so after staff record an address
change the next invoice follows it and an earlier one stays as it was; a private account's
name and e-mail address. Business invoices go by post (the letter is the stored PDF, sent as
is) unless the organisation asked for digital ones; private accounts get theirs by e-mail.
E-mails carry the stored PDF by reference (checked against its SHA-256 when sent).

The PDF is rendered inside the transaction, right after the number is taken: an invoice
then never exists without its PDF or its delivery, and no repair job is needed. It costs
the counter's lock for the rendering (about 10 ms, under 1 ms more per line, off the event
loop), during which other issuers wait.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql import i18n
from gql.documents.invoice import DirectDebit, InvoiceDocument, Line, render_invoice
from gql.files import store
from gql.models.accounts import Account, Usage
from gql.models.invoices import (
    Invoice,
    InvoiceEmail,
    InvoiceKind,
    InvoiceLine,
    InvoicePaymentMethod,
    InvoiceStatus,
)
from gql.models.mandates import DirectDebitMandate
from gql.models.outbox import Channel
from gql.models.register import Company
from gql.services import mandates, register
from gql.services.invoices import (
    numbering,
    texts,  # noqa: F401  (registers texts and mails)
)
from gql.services.shared import outbox
from gql.services.shared.deps import Deps
from gql.services.shared.formatting import format_cents, format_date, local_date

OWNER_KIND = "invoice"
#: Payment term of a monthly direct-debit invoice: collected on its due date.
PAYMENT_TERM = timedelta(days=28)


@dataclass(frozen=True, slots=True)
class Payer:
    """Who pays, as read at issue: what the invoice prints and where it goes."""

    kvk_number: str | None
    account_id: int | None
    name: str
    address_lines: tuple[str, ...]
    language: str
    channel: Channel
    email: str | None  # where e-mailed invoices go (None: by post)


@dataclass(frozen=True, slots=True)
class NewLine:
    description: str
    service_date: date
    amount_cents: int
    order_id: int | None = None
    order_reference: str | None = None
    product_code: str | None = None
    kvk_number: str | None = None
    company_name: str | None = None


@dataclass(frozen=True, slots=True)
class OnlinePayment:
    """The top-up's payment: already paid when the invoice is issued."""

    id: int
    method: str
    paid_at: datetime


async def organisation_payer(session: AsyncSession, kvk_number: str) -> Payer:
    """An organisation as it stands in the register now, and how it gets its invoices."""
    company = await session.get(Company, kvk_number)
    assert company is not None
    digital = await session.get(InvoiceEmail, kvk_number)
    # The organisation has no language of its own: its main user's (Dutch if none).
    language = await session.scalar(
        select(Account.language).where(
            col(Account.kvk_number) == kvk_number,
            col(Account.is_main_user).is_(True),
            col(Account.active).is_(True),
        )
    )
    lines = register.postal_address_lines(company)
    return Payer(
        kvk_number=kvk_number,
        account_id=None,
        name=company.name,
        address_lines=tuple(lines[1:]),  # the first line is the name
        language=language or "nl",
        channel=Channel.EMAIL if digital else Channel.POST,
        email=digital.email if digital else None,
    )


def account_payer(account: Account) -> Payer:
    """A private account: its name and e-mail address, and its invoices by e-mail."""
    assert account.id is not None and account.usage == Usage.PRIVATE
    return Payer(
        kvk_number=None,
        account_id=account.id,
        name=account.name,
        address_lines=(account.email,),
        language=account.language,
        channel=Channel.EMAIL,
        email=account.email,
    )


async def issue(
    session: AsyncSession,
    deps: Deps,
    *,
    kind: InvoiceKind,
    payer: Payer,
    lines: list[NewLine],
    now: datetime,
    month: date | None = None,
    mandate: DirectDebitMandate | None = None,
    payment: OnlinePayment | None = None,
) -> Invoice:
    """Number, render, store, write and queue one invoice in the caller's transaction.

    Do every read before calling this: the number's lock is held from here to the commit."""
    assert (mandate is None) != (payment is None)
    issue_date = local_date(now)
    due_date = issue_date + PAYMENT_TERM if mandate is not None else issue_date
    total = sum(line.amount_cents for line in lines)
    sequence = await numbering.next_sequence(session, year=issue_date.year)
    number = numbering.invoice_number(issue_date.year, sequence)
    debit = None
    if mandate is not None:
        debit = DirectDebit(
            mandate_reference=mandate.reference,
            signed_on=local_date(mandate.signed_at),
            iban_masked=mandates.mask_iban(mandate.iban),
            collection_date=due_date,
        )
    document = InvoiceDocument(
        number=number,
        language=payer.language,
        issued_at=now,
        issue_date=issue_date,
        due_date=due_date,
        payer_name=payer.name,
        address_lines=payer.address_lines,
        kvk_number=payer.kvk_number,
        month=month,
        lines=tuple(
            Line(
                reference=line.order_reference,
                description=line.description,
                company=f"{line.company_name} (KVK {line.kvk_number})"
                if line.company_name
                else None,
                day=line.service_date,
                amount_cents=line.amount_cents,
            )
            for line in lines
        ),
        total_cents=total,
        direct_debit=debit,
        paid_online_method=payment.method if payment else None,
        paid_on=local_date(payment.paid_at) if payment else None,
    )
    pdf = await anyio.to_thread.run_sync(render_invoice, document)
    stored = await store.put(
        session,
        io.BytesIO(pdf),
        content_type="application/pdf",
        filename=f"factuur-{number}.pdf",
        owner_kind=OWNER_KIND,
        now=now,
    )
    invoice = Invoice(
        number=number,
        year=issue_date.year,
        sequence=sequence,
        kind=kind,
        payer_kvk_number=payer.kvk_number,
        payer_account_id=payer.account_id,
        payer_name=payer.name,
        address="\n".join(payer.address_lines),
        language=payer.language,
        delivery_channel=payer.channel,
        delivery_email=payer.email,
        issued_at=now,
        issue_date=issue_date,
        due_date=due_date,
        month=month,
        total_cents=total,
        status=InvoiceStatus.PAID if payment else InvoiceStatus.OPEN,
        paid_at=payment.paid_at if payment else None,
        payment_method=InvoicePaymentMethod.PAID_ONLINE
        if payment
        else InvoicePaymentMethod.DIRECT_DEBIT,
        payment_id=payment.id if payment else None,
        mandate_id=mandate.id if mandate else None,
        mandate_reference=debit.mandate_reference if debit else None,
        mandate_signed_on=debit.signed_on if debit else None,
        iban_masked=debit.iban_masked if debit else None,
        file_id=stored.id,
    )
    session.add(invoice)
    await session.flush()
    assert invoice.id is not None
    for position, line in enumerate(lines, start=1):
        session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                position=position,
                order_id=line.order_id,
                order_reference=line.order_reference,
                product_code=line.product_code,
                description=line.description,
                kvk_number=line.kvk_number,
                company_name=line.company_name,
                service_date=line.service_date,
                amount_cents=line.amount_cents,
            )
        )
    await _deliver(session, deps, invoice, stored, now)
    return invoice


async def _deliver(
    session: AsyncSession, deps: Deps, invoice: Invoice, stored: store.FileInfo, now: datetime
) -> None:
    """By e-mail with the PDF attached, or by post as the PDF itself."""
    language = invoice.language
    if invoice.delivery_channel == Channel.POST:
        await outbox.enqueue_letter(
            session,
            addressee=invoice.payer_name,
            address_lines=invoice.address.splitlines(),
            template="invoice_letter",
            language=language,
            params={"number": invoice.number, "payer": invoice.payer_name},
            now=now,
            settings=deps.settings,
            document=stored,
        )
        return
    assert invoice.delivery_email is not None
    if invoice.payment_method == InvoicePaymentMethod.DIRECT_DEBIT:
        note = i18n.text(
            "invoice_note_direct_debit",
            language,
            date=format_date(invoice.due_date, language),
            iban=invoice.iban_masked,
            reference=invoice.mandate_reference,
        )
    else:
        note = i18n.text("invoice_note_paid", language)
    await outbox.enqueue_email(
        session,
        to=invoice.delivery_email,
        template="invoice_issued",
        language=language,
        params={
            "name": invoice.payer_name,
            "number": invoice.number,
            "date": format_date(invoice.issue_date, language),
            "payer": invoice.payer_name,
            "amount": format_cents(invoice.total_cents, language),
            "payment_note": note,
        },
        now=now,
        settings=deps.settings,
        account_id=invoice.payer_account_id,
        attachments=[stored],
    )
