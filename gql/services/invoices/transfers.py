"""Invoices paid by bank transfer: read from the bank's credit notification (camt.054) or
recorded by staff for a transfer seen otherwise.

A transfer pays an open invoice when its remittance information carries the invoice number
and its amount is the invoice total; anything else is left for staff and said in the
import's outcome (UNMATCHED, UNKNOWN, AMOUNT_MISMATCH, ALREADY_PAID). An invoice is paid
by transfer once (`invoice_transfer` is unique per invoice), so a notification imported
twice, or a second one naming the same invoice, changes nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.bank_files import BankFileKind
from gql.models.collections import InvoiceTransfer, TransferSource
from gql.models.invoices import Invoice, InvoiceStatus
from gql.services.bank_files.documents import BankDocument
from gql.services.bank_files.imports import ImportContext, ImportOutcome, register_importer
from gql.services.bank_files.records import Change
from gql.services.invoices import collection_texts  # noqa: F401  (registers texts)
from gql.services.shared import audit
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    ForbiddenError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    Problems,
    raises,
)
from gql.services.shared.formatting import format_cents, local_date

_NUMBER = re.compile(r"\d{4}-\d{6}")
_IN_TEXT = re.compile(r"(?<!\d)(\d{4}-\d{6})(?!\d)")


@dataclass(frozen=True, slots=True)
class TransferRecorded:
    number: str
    amount_cents: int


async def mark_paid_by_transfer(
    session: AsyncSession,
    invoice: Invoice,
    *,
    amount_cents: int,
    received_on: date,
    source: TransferSource,
    now: datetime,
    file_id: int | None = None,
    recorded_by_id: int | None = None,
) -> None:
    """PAID, with the transfer kept, in the caller's transaction (which holds it locked)."""
    assert invoice.id is not None and invoice.status == InvoiceStatus.OPEN
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now
    session.add(
        InvoiceTransfer(
            invoice_id=invoice.id,
            amount_cents=amount_cents,
            received_on=received_on,
            source=source,
            file_id=file_id,
            recorded_by_id=recorded_by_id,
            recorded_at=now,
        )
    )


@raises(InvalidInputError, NotFoundError, InvalidStateError)
async def record_transfer(
    deps: Deps, *, caller: Caller, invoice_number: str, amount_cents: int, received_on: date
) -> TransferRecorded:
    """Staff: an open invoice paid in full by a transfer seen outside camt.054 (audited)."""
    if not caller.is_staff:
        raise ForbiddenError()
    now = deps.clock.now()
    number = invoice_number.strip()
    problems = Problems()
    if not _NUMBER.fullmatch(number):
        problems.add("invoiceNumber", "invoice_number_format")
    if amount_cents <= 0:
        problems.add("amountCents", "amount_positive")
    if received_on > local_date(now):
        problems.add("receivedOn", "transfer_in_future")
    problems.raise_if_any()
    async with deps.db.write() as session:
        invoice = (
            await session.execute(
                select(Invoice).where(col(Invoice.number) == number).with_for_update()
            )
        ).scalar_one_or_none()
        if invoice is None:
            raise NotFoundError(field_path=("invoiceNumber",))
        if invoice.status != InvoiceStatus.OPEN:
            raise InvalidStateError(message_key="invoice_not_open")
        if amount_cents != invoice.total_cents:
            problems.add(
                "amountCents",
                "transfer_amount_mismatch",
                amount=format_cents(amount_cents, caller.language),
                total=format_cents(invoice.total_cents, caller.language),
            )
            problems.raise_if_any()
        await mark_paid_by_transfer(
            session,
            invoice,
            amount_cents=amount_cents,
            received_on=received_on,
            source=TransferSource.STAFF,
            now=now,
            recorded_by_id=caller.account_id,
        )
        await audit.record(
            session,
            caller=caller,
            action="invoice.transfer_recorded",
            subject=f"invoice:{invoice.id}",
            details=f"invoice {number} paid by a transfer of {amount_cents} cents received on "
            f"{received_on.isoformat()}",
            now=now,
        )
        await session.commit()
    return TransferRecorded(number, amount_cents)


# ---- the bank's credit notification --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Credit:
    reference: str  # the invoice number found, or the bank's reference of the entry
    number: str | None
    amount_cents: int | None
    booked_on: date | None


def _cents(document: BankDocument, element: Element) -> int | None:
    found = document.find(element, "Amt")
    if found is None or (found.get("Ccy") or "EUR") != "EUR":
        return None
    try:
        return int(Decimal((found.text or "").strip()) * 100)
    except InvalidOperation:
        return None


def _day(document: BankDocument, entry: Element) -> date | None:
    for path in (("BookgDt", "Dt"), ("ValDt", "Dt")):
        value = document.text(entry, *path)
        if value:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def read_credits(document: BankDocument) -> list[_Credit]:
    """Every credit transaction in a camt.054 (any version since .02), with the invoice
    number its remittance information carries (unstructured or the creditor reference)."""
    message = document.message
    if message is None:
        return []
    credits = []
    for notification in document.findall(message, "Ntfctn"):
        for entry in document.findall(notification, "Ntry"):
            if document.text(entry, "CdtDbtInd") != "CRDT" or document.text(entry, "RvslInd") in (
                "true",
                "1",
            ):
                continue
            details = document.findall(entry, "NtryDtls", "TxDtls")
            booked_on = _day(document, entry)
            for tx in details or [entry]:
                texts = [
                    (e.text or "").strip()
                    for e in tx.iter()
                    if e.tag in (document.tag("Ustrd"), document.tag("Ref"))
                ]
                found = next((m.group(1) for t in texts if (m := _IN_TEXT.search(t))), None)
                amount = _cents(document, tx)
                if amount is None and len(details) == 1:
                    amount = _cents(document, entry)  # one transaction: the entry's amount
                reference = found or document.text(entry, "AcctSvcrRef") or "-"
                credits.append(_Credit(reference, found, amount, booked_on))
    return credits


async def _paid_by_transfer(context: ImportContext) -> ImportOutcome | None:
    """Credits naming an open invoice, of its exact total, pay it."""
    credits = read_credits(context.document)
    if not credits:
        return None
    session = context.session
    numbers = {c.number for c in credits if c.number}
    invoices = {
        invoice.number: invoice
        for invoice in (
            await session.execute(
                select(Invoice).where(col(Invoice.number).in_(numbers)).with_for_update()
            )
        ).scalars()
    }
    changes: list[Change] = []
    total = 0
    for credit in credits:
        total += credit.amount_cents or 0
        invoice = invoices.get(credit.number or "")
        if credit.number is None:
            changes.append(Change(credit.reference, "UNMATCHED", False))
        elif invoice is None:
            changes.append(Change(credit.reference, "UNKNOWN", False))
        elif invoice.status != InvoiceStatus.OPEN:
            changes.append(Change(credit.reference, "ALREADY_PAID", False))
        elif credit.amount_cents != invoice.total_cents:
            changes.append(Change(credit.reference, "AMOUNT_MISMATCH", False))
        else:
            await mark_paid_by_transfer(
                session,
                invoice,
                amount_cents=credit.amount_cents,
                received_on=credit.booked_on or local_date(context.now),
                source=TransferSource.CAMT_054,
                now=context.now,
                file_id=context.file_id,
            )
            changes.append(Change(credit.reference, InvoiceStatus.PAID.value, True))
    return ImportOutcome(changes=changes, transactions=len(changes), total_cents=total)


register_importer(BankFileKind.CAMT_054, _paid_by_transfer)
