"""Direct-debit collection of invoices: open direct-debit invoices that are due go to the
bank in one SEPA direct-debit file (pain.008), and the bank's status report (pain.002) on
it says which were paid.

Each invoice goes in exactly one file, once: the run takes the due invoices not yet
collected under a row lock (PostgreSQL; SQLite runs one writer at a time), records each in
`invoice_collection` (unique per invoice) and marks them SUBMITTED by a conditional UPDATE
whose row count is checked, in the transaction that stores and records the file. A
concurrent run waits for the lock and then finds them SUBMITTED.

A transaction is FRST for a mandate's first collection and RCUR once the mandate has a
collection submitted or collected before (a FAILED one was rejected before settlement, so
the next is a first again, as the EPC rulebook has it). Its end-to-end id is the invoice
number. The requested collection date is the due date (a due date already past: today).

The status report: an accepted collection makes the invoice PAID and COLLECTED; a rejected
one makes it FAILED and the payer gets one mail saying how to pay by transfer. There is no
second attempt. Only a SUBMITTED invoice of the reported file changes, so a report
imported twice changes nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import anyio.to_thread
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.i18n import text
from gql.models.accounts import Account
from gql.models.bank_files import BankFile, BankFileChannel, BankFileKind
from gql.models.collections import InvoiceCollection, SequenceType
from gql.models.invoices import (
    CollectionStatus,
    Invoice,
    InvoiceEmail,
    InvoicePaymentMethod,
    InvoiceStatus,
)
from gql.models.mandates import DirectDebitMandate
from gql.services.bank_files import records
from gql.services.bank_files.credit_transfers import Account as BankAccount
from gql.services.bank_files.direct_debits import DirectDebit, direct_debit_file
from gql.services.bank_files.imports import (
    ImportContext,
    ImportOutcome,
    register_importer,
    report_on_our_file,
)
from gql.services.bank_files.records import BankFileView, Change
from gql.services.bank_files.status_reports import REJECTED
from gql.services.invoices import collection_texts  # noqa: F401  (registers texts and mails)
from gql.services.shared import audit, outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidInputError, InvalidStateError, Problems, raises
from gql.services.shared.formatting import format_cents, format_date, local_date
from gql.settings import Settings

log = logging.getLogger("toegang.collections")

#: How far ahead a collection may be asked for (invoices are due 28 days after issue).
MAX_DAYS_AHEAD = 60


@dataclass(frozen=True, slots=True)
class CollectionFile:
    bank_file: BankFileView
    invoice_numbers: list[str]
    data: bytes  # the pain.008 file as stored


@raises(InvalidInputError, InvalidStateError)
async def create_collections(
    deps: Deps,
    *,
    caller: Caller | None,
    collection_date: date | None = None,
    channel: BankFileChannel = BankFileChannel.CLI,
) -> CollectionFile:
    """One pain.008 file with every open direct-debit invoice due on or before
    `collection_date` (default: today in Amsterdam) and not yet collected, stored and
    recorded; staff (audited) or a command (`caller` None). InvalidState when there is none."""
    now = deps.clock.now()
    today = local_date(now)
    problems = Problems()
    if collection_date is not None and collection_date < today:
        problems.add("collectionDate", "collection_date_past")
    elif collection_date is not None and collection_date > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.add("collectionDate", "collection_date_too_far", days=MAX_DAYS_AHEAD)
    problems.raise_if_any()
    until = collection_date or today
    async with deps.db.write() as session:
        rows = (
            await session.execute(
                select(Invoice, DirectDebitMandate)
                .join(DirectDebitMandate, col(DirectDebitMandate.id) == col(Invoice.mandate_id))
                .where(
                    col(Invoice.status) == InvoiceStatus.OPEN,
                    col(Invoice.payment_method) == InvoicePaymentMethod.DIRECT_DEBIT,
                    col(Invoice.collection_status).is_(None),
                    col(Invoice.due_date) <= until,
                )
                .order_by(col(Invoice.due_date), col(Invoice.id))
                .with_for_update(of=Invoice)
            )
        ).all()
        if not rows:
            raise InvalidStateError(message_key="no_invoices_to_collect")
        row, data = await _collect_in_one_file(
            session,
            settings=deps.settings,
            invoices=[(invoice, mandate) for invoice, mandate in rows],
            caller=caller,
            channel=channel,
            now=now,
        )
        await session.commit()
    assert row.id is not None
    numbers = [invoice.number for invoice, _ in rows]
    return CollectionFile(await records.read(deps, row.id), numbers, data)


async def _sequence_types(
    session: AsyncSession, invoices: list[tuple[Invoice, DirectDebitMandate]]
) -> list[SequenceType]:
    """FRST for a mandate's first collection (in this file too), RCUR after one."""
    mandate_ids = {invoice.mandate_id for invoice, _ in invoices}
    collected_before = set(
        (
            await session.execute(
                select(col(Invoice.mandate_id))
                .where(
                    col(Invoice.mandate_id).in_(mandate_ids),
                    col(Invoice.collection_status).in_(
                        [CollectionStatus.SUBMITTED, CollectionStatus.COLLECTED]
                    ),
                )
                .distinct()
            )
        ).scalars()
    )
    types = []
    for invoice, _ in invoices:
        types.append(
            SequenceType.RCUR if invoice.mandate_id in collected_before else SequenceType.FRST
        )
        collected_before.add(invoice.mandate_id)
    return types


async def _collect_in_one_file(
    session: AsyncSession,
    *,
    settings: Settings,
    invoices: list[tuple[Invoice, DirectDebitMandate]],
    caller: Caller | None,
    channel: BankFileChannel,
    now: datetime,
) -> tuple[BankFile, bytes]:
    """Write, store and record the pain.008 of these invoices (held locked by the caller's
    transaction) and mark them SUBMITTED in it."""
    today = local_date(now)
    creditor = BankAccount(settings.creditor_name, settings.creditor_iban, settings.creditor_bic)
    types = await _sequence_types(session, invoices)
    debits = []
    for (invoice, mandate), sequence_type in zip(invoices, types, strict=True):
        assert invoice.mandate_reference and invoice.mandate_signed_on
        debits.append(
            DirectDebit(
                amount_cents=invoice.total_cents,
                debtor=BankAccount(mandate.account_holder, mandate.iban),
                mandate_reference=invoice.mandate_reference,
                mandate_signed_on=invoice.mandate_signed_on,
                sequence_type=sequence_type.value,
                collection_date=max(invoice.due_date, today),
                end_to_end_id=invoice.number,
                remittance=text("collection_remittance", invoice.language, number=invoice.number),
            )
        )
    message_id = records.new_message_id(BankFileKind.PAIN_008, [d.end_to_end_id for d in debits])
    data = await anyio.to_thread.run_sync(
        lambda: direct_debit_file(
            creditor=creditor,
            creditor_id=settings.creditor_id,
            message_id=message_id,
            created_at=now,
            debits=debits,
        )
    )
    total = sum(d.amount_cents for d in debits)
    row = await records.record(
        session,
        kind=BankFileKind.PAIN_008,
        data=data,
        message_id=message_id,
        caller=caller,
        channel=channel,
        transactions=len(debits),
        total_cents=total,
        now=now,
    )
    assert row.id is not None
    for (invoice, _), debit, sequence_type in zip(invoices, debits, types, strict=True):
        assert invoice.id is not None and invoice.mandate_id is not None
        session.add(
            InvoiceCollection(
                invoice_id=invoice.id,
                bank_file_id=row.id,
                mandate_id=invoice.mandate_id,
                sequence_type=sequence_type,
                requested_on=debit.collection_date,
                amount_cents=debit.amount_cents,
                created_at=now,
            )
        )
    ids = [invoice.id for invoice, _ in invoices]
    submitted = await session.execute(
        update(Invoice)
        .where(
            col(Invoice.id).in_(ids),
            col(Invoice.status) == InvoiceStatus.OPEN,
            col(Invoice.collection_status).is_(None),
        )
        .values(collection_status=CollectionStatus.SUBMITTED)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], submitted).rowcount != len(ids):
        # Another run took one of them after all: the caller's transaction rolls back whole.
        raise RuntimeError("an invoice was put in another collection file meanwhile")
    if caller is not None:
        await audit.record(
            session,
            caller=caller,
            action="collections.created",
            subject=f"bank_file:{row.id}",
            details=f"pain.008 {message_id}: {len(ids)} invoices, {total} cents "
            f"({', '.join(d.end_to_end_id for d in debits)})",
            now=now,
        )
    return row, data


# ---- the bank's status report --------------------------------------------------------------


async def _collection_report(context: ImportContext) -> ImportOutcome | None:
    """The collections' part of a pain.002: the outcome of one of our pain.008 files."""
    found = await report_on_our_file(context, BankFileKind.PAIN_008)
    if found is None:
        return None
    original, outcomes = found
    session = context.session
    invoices = {
        invoice.number: invoice
        for invoice in (
            await session.execute(
                select(Invoice)
                .join(InvoiceCollection, col(InvoiceCollection.invoice_id) == col(Invoice.id))
                .where(col(InvoiceCollection.bank_file_id) == original.id)
                .with_for_update(of=Invoice)
            )
        ).scalars()
    }
    changes: list[Change] = []
    total = 0
    for reference, status in outcomes.items():
        if status is None:
            continue  # not reported on
        invoice = invoices.get(reference)
        if invoice is None:
            changes.append(Change(reference, "UNKNOWN", False, status.reason))
            continue
        total += invoice.total_cents
        submitted = invoice.collection_status == CollectionStatus.SUBMITTED
        if status.code == REJECTED:
            if submitted:
                await _failed(context, invoice)
            result = CollectionStatus.FAILED.value if submitted else str(invoice.collection_status)
            changes.append(Change(reference, result, submitted, status.reason))
        elif status.code.startswith("AC"):  # ACCP, ACSC, ACTC, ...: accepted
            if submitted:
                invoice.status = InvoiceStatus.PAID
                invoice.paid_at = context.now
                invoice.collection_status = CollectionStatus.COLLECTED
                invoice.collected_at = context.now
            result = InvoiceStatus.PAID.value if submitted else str(invoice.collection_status)
            changes.append(Change(reference, result, submitted, status.reason))
        else:  # PDNG, RCVD, PART: said as they are, nothing changes
            changes.append(Change(reference, status.code, False, status.reason))
    return ImportOutcome(
        changes=changes,
        transactions=len(changes),
        total_cents=total,
        original_message_id=original.message_id,
    )


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a mail about an invoice goes now."""

    email: str
    name: str
    language: str
    account_id: int | None


async def payer_contact(session: AsyncSession, invoice: Invoice) -> Contact | None:
    """The payer's address for mails about an invoice, as it is now: an organisation's
    invoice e-mail address (digital invoices), else its main user's; a private account's."""
    if invoice.payer_account_id is not None:
        account = await session.get(Account, invoice.payer_account_id)
        if account is None or not account.active:
            return None
        return Contact(account.email, account.name, account.language, account.id)
    assert invoice.payer_kvk_number is not None
    digital = await session.get(InvoiceEmail, invoice.payer_kvk_number)
    if digital is not None:
        return Contact(digital.email, invoice.payer_name, invoice.language, None)
    main = (
        await session.execute(
            select(Account).where(
                col(Account.kvk_number) == invoice.payer_kvk_number,
                col(Account.is_main_user).is_(True),
                col(Account.active).is_(True),
            )
        )
    ).scalar_one_or_none()
    if main is None:
        return None
    return Contact(main.email, main.name, main.language, main.id)


def transfer_params(settings: Settings, invoice: Invoice, language: str) -> dict[str, object]:
    """How to pay an invoice by transfer: amount, account, reference."""
    return {
        "number": invoice.number,
        "amount": format_cents(invoice.total_cents, language),
        "creditor": settings.creditor_name,
        "iban": _spaced(settings.creditor_iban),
        "bic": settings.creditor_bic,
        "due_date": format_date(invoice.due_date, language),
    }


def _spaced(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


async def _failed(context: ImportContext, invoice: Invoice) -> None:
    """FAILED, and one mail to the payer saying how to pay by transfer."""
    invoice.collection_status = CollectionStatus.FAILED
    contact = await payer_contact(context.session, invoice)
    if contact is None:
        log.warning("collection of %s failed; no address to tell the payer", invoice.number)
        return
    await outbox.enqueue_email(
        context.session,
        to=contact.email,
        template="collection_failed",
        language=contact.language,
        params={
            "name": contact.name,
            **transfer_params(context.deps.settings, invoice, contact.language),
        },
        now=context.now,
        settings=context.deps.settings,
        account_id=contact.account_id,
    )


register_importer(BankFileKind.PAIN_002, _collection_report)
