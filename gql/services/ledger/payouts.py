"""Refund payouts: approved refunds go to the bank in a SEPA credit-transfer file (pain.001),
and a payout the bank rejects (its status report, pain.002) comes back to the balance.

Approving a refund already took the amount out of the balance (ledger entry REFUND_PAYOUT);
the file only carries it to the bank. Each approved refund goes in exactly one file: the
run takes the approved refunds not yet in a file under a row lock (PostgreSQL; SQLite runs
one writer at a time) and marks them PAID_OUT with the file's id by a conditional UPDATE
whose row count is checked, in the transaction that stores and records the file. A
concurrent run waits for the lock and then finds those refunds no longer approved.

A rejected transaction in the bank's status report makes its refund RETURNED, credits the
amount back (ledger entry PAYOUT_RETURNED) and tells the customer; accepted ones stay
PAID_OUT. Only a PAID_OUT refund of the reported file can return, so a report imported
twice (or a second report on the same file) changes nothing more.
"""

from __future__ import annotations

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
from gql.models.ledger import EntryKind, RefundRequest, RefundStatus
from gql.services import mandates
from gql.services.bank_files import records
from gql.services.bank_files.credit_transfers import (
    Account as BankAccount,
)
from gql.services.bank_files.credit_transfers import (
    CreditTransfer,
    credit_transfer_file,
)
from gql.services.bank_files.imports import (
    ImportContext,
    ImportOutcome,
    register_importer,
    report_on_our_file,
)
from gql.services.bank_files.records import BankFileView, Change
from gql.services.bank_files.status_reports import REJECTED
from gql.services.ledger import balance, texts  # noqa: F401  (registers texts and mails)
from gql.services.shared import audit, outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidInputError, InvalidStateError, Problems, raises
from gql.services.shared.formatting import format_cents, local_date
from gql.settings import Settings


@dataclass(frozen=True, slots=True)
class PayoutFile:
    bank_file: BankFileView
    refund_ids: list[int]
    data: bytes  # the pain.001 file as stored


def end_to_end_id(refund_id: int) -> str:
    """How the bank names a refund's transfer (EndToEndId, 35 characters at most)."""
    return f"REFUND-{refund_id}"


def _refund_of(end_to_end: str) -> int | None:
    number = end_to_end.removeprefix("REFUND-")
    return int(number) if number != end_to_end and number.isdigit() else None


#: How far ahead a payout may be asked to be executed (banks take a few months at most).
MAX_DAYS_AHEAD = 60


@raises(InvalidInputError, InvalidStateError)
async def create_refund_payouts(
    deps: Deps,
    *,
    caller: Caller | None,
    execution_date: date | None = None,
    channel: BankFileChannel = BankFileChannel.CLI,
) -> PayoutFile:
    """One pain.001 file with every approved refund not yet paid out, to be executed on
    `execution_date` (default: today in Amsterdam), stored and recorded; staff (audited) or a
    command (`caller` None). InvalidState when there is none."""
    now = deps.clock.now()
    today = local_date(now)
    problems = Problems()
    if execution_date is not None and execution_date < today:
        problems.add("executionDate", "execution_date_past")
    elif execution_date is not None and execution_date > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.add("executionDate", "execution_date_too_far", days=MAX_DAYS_AHEAD)
    problems.raise_if_any()
    async with deps.db.write() as session:
        rows = (
            await session.execute(
                select(RefundRequest, Account.language)
                .join(Account, col(Account.id) == col(RefundRequest.account_id))
                .where(
                    col(RefundRequest.status) == RefundStatus.APPROVED,
                    col(RefundRequest.payout_batch_id).is_(None),
                )
                .order_by(col(RefundRequest.id))
                .with_for_update(of=RefundRequest)
            )
        ).all()
        if not rows:
            raise InvalidStateError(message_key="no_refunds_to_pay_out")
        row, data = await pay_out_in_one_file(
            session,
            settings=deps.settings,
            refunds=[(refund, language) for refund, language in rows],
            caller=caller,
            channel=channel,
            now=now,
            execution_date=execution_date or today,
        )
        await session.commit()
    assert row.id is not None
    ids = [refund.id for refund, _ in rows]
    return PayoutFile(await records.read(deps, row.id), ids, data)


async def pay_out_in_one_file(
    session: AsyncSession,
    *,
    settings: Settings,
    refunds: list[tuple[RefundRequest, str]],
    caller: Caller | None,
    channel: BankFileChannel,
    now: datetime,
    execution_date: date,
) -> tuple[BankFile, bytes]:
    """Write, store and record the pain.001 of these approved refunds (each with its
    account's language) and mark them PAID_OUT in it, in the caller's transaction, which
    must hold them locked."""
    debtor = BankAccount(settings.creditor_name, settings.creditor_iban, settings.creditor_bic)
    transfers = [
        CreditTransfer(
            amount_cents=refund.amount_cents,
            creditor=BankAccount(refund.account_holder or "", refund.iban or ""),
            end_to_end_id=end_to_end_id(refund.id),
            remittance=text("payout_remittance", language, reference=end_to_end_id(refund.id)),
        )
        for refund, language in refunds
    ]
    message_id = records.new_message_id(BankFileKind.PAIN_001, [t.end_to_end_id for t in transfers])
    data = await anyio.to_thread.run_sync(
        lambda: credit_transfer_file(
            debtor=debtor,
            message_id=message_id,
            created_at=now,
            execution_date=execution_date,
            transfers=transfers,
        )
    )
    total = sum(t.amount_cents for t in transfers)
    row = await records.record(
        session,
        kind=BankFileKind.PAIN_001,
        data=data,
        message_id=message_id,
        caller=caller,
        channel=channel,
        transactions=len(transfers),
        total_cents=total,
        now=now,
    )
    ids = [refund.id for refund, _ in refunds]
    paid = await session.execute(
        update(RefundRequest)
        .where(
            col(RefundRequest.id).in_(ids),
            col(RefundRequest.status) == RefundStatus.APPROVED,
            col(RefundRequest.payout_batch_id).is_(None),
        )
        .values(status=RefundStatus.PAID_OUT, payout_batch_id=row.id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], paid).rowcount != len(ids):
        # Another run took one of them after all: the caller's transaction rolls back whole.
        raise RuntimeError("a refund was put in another payout file meanwhile")
    if caller is not None:
        await audit.record(
            session,
            caller=caller,
            action="refund_payouts.created",
            subject=f"bank_file:{row.id}",
            details=f"pain.001 {message_id}: {len(ids)} refunds, {total} cents "
            f"(refund_request {', '.join(map(str, ids))})",
            now=now,
        )
    return row, data


# ---- the bank's status report --------------------------------------------------------------

#: Reason codes (ISO 20022 ExternalStatusReason1Code) a customer can act on, in words.
_REASONS = {
    "AC01": "return_reason_wrong_account",
    "AC04": "return_reason_closed_account",
    "AC06": "return_reason_blocked_account",
    "AG01": "return_reason_not_allowed",
    "MD07": "return_reason_deceased",
    "BE01": "return_reason_wrong_holder",
}


async def _returned_payouts(context: ImportContext) -> ImportOutcome | None:
    """The refunds' part of a pain.002: rejected transfers of one of our pain.001 files."""
    found = await report_on_our_file(context, BankFileKind.PAIN_001)
    if found is None:
        return None
    original, outcomes = found
    session = context.session
    refunds = {
        refund.id: refund
        for refund in (
            await session.execute(
                select(RefundRequest)
                .where(col(RefundRequest.payout_batch_id) == original.id)
                .with_for_update()
            )
        ).scalars()
    }
    changes: list[Change] = []
    total = 0
    for reference, status in outcomes.items():
        if status is None:
            continue  # not reported on
        refund = refunds.get(_refund_of(reference) or 0)
        if refund is None:
            changes.append(Change(reference, "UNKNOWN", False, status.reason))
            continue
        total += refund.amount_cents
        if status.code != REJECTED:
            # ACCP, ACSC, ACTC, ...: accepted; PDNG, PART, RCVD: said as they are.
            result = "ACCEPTED" if status.code.startswith("AC") else status.code
            changes.append(Change(reference, result, False, status.reason))
        elif refund.status != RefundStatus.PAID_OUT:
            changes.append(Change(reference, refund.status.value, False, status.reason))
        else:
            await _return(context, refund, status.reason)
            changes.append(Change(reference, RefundStatus.RETURNED.value, True, status.reason))
    return ImportOutcome(
        changes=changes,
        transactions=len(changes),
        total_cents=total,
        original_message_id=original.message_id,
    )


async def _return(context: ImportContext, refund: RefundRequest, reason: str | None) -> None:
    """Back to the balance, with a ledger entry and a mail saying why."""
    session, now = context.session, context.now
    assert refund.id is not None
    refund.status = RefundStatus.RETURNED
    await balance.credit(
        session,
        account_id=refund.account_id,
        amount_cents=refund.amount_cents,
        kind=EntryKind.PAYOUT_RETURNED,
        now=now,
        refund_id=refund.id,
    )
    account = await session.get(Account, refund.account_id)
    assert account is not None
    key = _REASONS.get(reason or "", "return_reason_other")
    await outbox.mail_account(
        session,
        account=account,
        template="refund_returned",
        params={
            "amount": format_cents(refund.amount_cents, account.language),
            "iban_masked": mandates.mask_iban(refund.iban or ""),
            "reason": text(key, account.language, code=reason or "-"),
        },
        now=now,
        settings=context.deps.settings,
    )


register_importer(BankFileKind.PAIN_002, _returned_payouts)
