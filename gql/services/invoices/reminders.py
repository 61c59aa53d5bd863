"""Payment reminders and formal notices (ingebrekestelling) for open invoices, and what a
formal notice left unpaid means for ordering by direct debit.

An open invoice that will not be collected (its direct debit FAILED; there is no second
attempt) gets a reminder TOEGANG_REMINDER_DAYS (14) days after its due date, and a formal
notice TOEGANG_FORMAL_NOTICE_DAYS (14) days after the reminder when it is still open. Both
add no costs and carry an EPC QR code to pay by transfer (the invoice number as the
reference). Each goes once: `invoice_reminder` is unique per (invoice, kind), written in
the transaction that queues it, so two workers at once send one. They go the way the
invoice went: by post (a letter that is the stored PDF) or by e-mail (the PDF attached).

While a payer (an organisation, or a private account) has an invoice that is still open
after its formal notice, its direct-debit orders are refused (`ensure_direct_debit_allowed`,
called by placeOrder) until it is paid.
"""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, timedelta

import anyio.to_thread
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.documents.reminder import ReminderDocument, epc_qr_png, render_reminder
from gql.files import store
from gql.files.access import Downloader, register_owner
from gql.i18n import text
from gql.models.collections import InvoiceReminder, ReminderKind
from gql.models.invoices import CollectionStatus, Invoice, InvoicePaymentMethod, InvoiceStatus
from gql.models.outbox import Channel
from gql.services.invoices import collection_texts  # noqa: F401  (registers texts and mails)
from gql.services.invoices.collections import payer_contact, transfer_params
from gql.services.invoices.issuing import organisation_payer
from gql.services.shared import outbox
from gql.services.shared.deps import Deps
from gql.services.shared.errors import InvalidStateError
from gql.services.shared.formatting import format_cents, format_date, local_date
from gql.settings import Settings

log = logging.getLogger("toegang.reminders")
OWNER_KIND = "invoice_reminder"

_TEMPLATES = {
    ReminderKind.REMINDER: ("invoice_reminder", "invoice_reminder_letter", "reminder_title"),
    ReminderKind.FORMAL_NOTICE: (
        "invoice_formal_notice",
        "invoice_formal_notice_letter",
        "formal_notice_title",
    ),
}


def _not_collected() -> object:
    """Open invoices nobody will collect: a failed direct debit (or none at all)."""
    return (col(Invoice.payment_method) != InvoicePaymentMethod.DIRECT_DEBIT) | (
        col(Invoice.collection_status) == CollectionStatus.FAILED
    )


async def _due(settings: Settings, deps: Deps, today: date) -> list[tuple[int, ReminderKind]]:
    reminder = InvoiceReminder.__table__.alias("reminder")  # type: ignore[attr-defined]
    notice = InvoiceReminder.__table__.alias("notice")  # type: ignore[attr-defined]
    async with deps.db.read() as session:
        reminders = (
            await session.execute(
                select(col(Invoice.id))
                .where(
                    col(Invoice.status) == InvoiceStatus.OPEN,
                    _not_collected(),  # type: ignore[arg-type]
                    col(Invoice.due_date) <= today - timedelta(days=settings.reminder_days),
                    ~exists().where(
                        reminder.c.invoice_id == Invoice.id,
                        reminder.c.kind == ReminderKind.REMINDER.value,
                    ),
                )
                .order_by(col(Invoice.id))
            )
        ).scalars()
        due = [(int(i), ReminderKind.REMINDER) for i in reminders]
        notices = (
            await session.execute(
                select(col(Invoice.id))
                .join(reminder, reminder.c.invoice_id == Invoice.id)
                .where(
                    col(Invoice.status) == InvoiceStatus.OPEN,
                    reminder.c.kind == ReminderKind.REMINDER.value,
                    reminder.c.sent_on <= today - timedelta(days=settings.formal_notice_days),
                    ~exists().where(
                        notice.c.invoice_id == Invoice.id,
                        notice.c.kind == ReminderKind.FORMAL_NOTICE.value,
                    ),
                )
                .order_by(col(Invoice.id))
            )
        ).scalars()
        due += [(int(i), ReminderKind.FORMAL_NOTICE) for i in notices]
    return due


async def send_due_reminders(deps: Deps, *, now: datetime) -> int:
    """Send every reminder and formal notice that is due (the worker's job); how many."""
    sent = 0
    for invoice_id, kind in await _due(deps.settings, deps, local_date(now)):
        try:
            sent += await _send(deps, invoice_id, kind, now)
        except IntegrityError:
            log.info("%s of invoice %s sent by another worker", kind, invoice_id)
        except Exception:
            log.exception("sending the %s of invoice %s failed", kind, invoice_id)
    return sent


async def _send(deps: Deps, invoice_id: int, kind: ReminderKind, now: datetime) -> int:
    settings = deps.settings
    async with deps.db.write() as session:
        invoice = (
            await session.execute(
                select(Invoice).where(col(Invoice.id) == invoice_id).with_for_update()
            )
        ).scalar_one()
        if invoice.status != InvoiceStatus.OPEN:
            return 0  # paid meanwhile
        reminded_on = None
        if kind is ReminderKind.FORMAL_NOTICE:
            reminded_on = await session.scalar(
                select(col(InvoiceReminder.sent_on)).where(
                    col(InvoiceReminder.invoice_id) == invoice_id,
                    col(InvoiceReminder.kind) == ReminderKind.REMINDER,
                )
            )
        language = invoice.language
        if invoice.payer_kvk_number is not None and invoice.delivery_channel == Channel.POST:
            payer = await organisation_payer(session, invoice.payer_kvk_number)
            addressee, lines = payer.name, payer.address_lines
        else:
            addressee, lines = invoice.payer_name, tuple(invoice.address.splitlines())
        contact = None
        if invoice.delivery_channel == Channel.EMAIL:
            contact = await payer_contact(session, invoice)
            language = contact.language if contact else language
        pay = transfer_params(settings, invoice, language)
        body_key = "reminder_text" if kind is ReminderKind.REMINDER else "formal_notice_text"
        body = text(
            body_key,
            language,
            number=invoice.number,
            issue_date=format_date(invoice.issue_date, language),
            due_date=format_date(invoice.due_date, language),
            amount=format_cents(invoice.total_cents, language),
            reminded_on=format_date(reminded_on, language) if reminded_on else "-",
        )
        how_to_pay = text("how_to_pay", language, **pay)
        mail_template, letter_template, title_key = _TEMPLATES[kind]
        document = ReminderDocument(
            title=text(title_key, language),
            language=language,
            reference=invoice.number,
            made_at=now,
            addressee=addressee,
            address_lines=lines,
            rows=(
                (text("reminder_label_invoice", language), invoice.number),
                (text("reminder_label_amount", language), str(pay["amount"])),
                (text("reminder_label_due", language), str(pay["due_date"])),
            ),
            paragraphs=(body, how_to_pay),
            qr_caption=text("scan_to_pay", language),
            qr_png=epc_qr_png(
                name=settings.creditor_name,
                iban=settings.creditor_iban,
                bic=settings.creditor_bic,
                amount_cents=invoice.total_cents,
                remittance=invoice.number,
            ),
        )
        pdf = await anyio.to_thread.run_sync(render_reminder, document)
        stored = await store.put(
            session,
            io.BytesIO(pdf),
            content_type="application/pdf",
            filename=f"{kind.value.lower().replace('_', '-')}-{invoice.number}.pdf",
            owner_kind=OWNER_KIND,
            now=now,
        )
        session.add(
            InvoiceReminder(
                invoice_id=invoice_id,
                kind=kind,
                sent_at=now,
                sent_on=local_date(now),
                channel=invoice.delivery_channel,
                file_id=stored.id,
            )
        )
        await session.flush()  # a second worker's row fails here, before anything is queued
        if invoice.delivery_channel == Channel.POST:
            await outbox.enqueue_letter(
                session,
                addressee=addressee,
                address_lines=list(lines),
                template=letter_template,
                language=language,
                params={"number": invoice.number},
                now=now,
                settings=settings,
                document=stored,
            )
        else:
            await outbox.enqueue_email(
                session,
                to=contact.email if contact else invoice.delivery_email or "",
                template=mail_template,
                language=language,
                params={
                    "name": contact.name if contact else invoice.payer_name,
                    "number": invoice.number,
                    "text": body,
                    "how_to_pay": how_to_pay,
                },
                now=now,
                settings=settings,
                account_id=contact.account_id if contact else invoice.payer_account_id,
                attachments=[stored],
            )
        await session.commit()
    return 1


async def direct_debit_blocked(
    session: AsyncSession, *, kvk_number: str | None, account_id: int | None
) -> bool:
    """Whether the payer has an invoice still open after its formal notice."""
    payer = (
        col(Invoice.payer_kvk_number) == kvk_number
        if kvk_number is not None
        else col(Invoice.payer_account_id) == account_id
    )
    found = await session.scalar(
        select(col(Invoice.id))
        .join(InvoiceReminder, col(InvoiceReminder.invoice_id) == col(Invoice.id))
        .where(
            payer,
            col(Invoice.status) == InvoiceStatus.OPEN,
            col(InvoiceReminder.kind) == ReminderKind.FORMAL_NOTICE,
        )
        .limit(1)
    )
    return found is not None


async def ensure_direct_debit_allowed(
    session: AsyncSession, *, kvk_number: str | None, account_id: int | None
) -> None:
    """InvalidState (naming the service centre) while the payer has an invoice still open
    after its formal notice."""
    if await direct_debit_blocked(session, kvk_number=kvk_number, account_id=account_id):
        raise InvalidStateError(message_key="direct_debit_blocked_unpaid")


async def _may_download(deps: Deps, downloader: Downloader, file_id: int) -> bool:
    """Reminders are kept for staff (the payer got them by mail or post)."""
    return downloader.is_staff


register_owner(OWNER_KIND, _may_download)
