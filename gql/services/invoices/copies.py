"""Copy invoices ("kopiefactuur"): the stored PDF of an earlier invoice, e-mailed again.

Asked with the invoice number by whoever sees the invoice (the organisation's main user, the
private account). It goes to the organisation's digital-invoice address when there is one,
else to the asker's own address. An unknown number and another payer's answer the same
NotFound, whose text says that iDEAL and credit-card purchases have no invoice (the bank or
card statement is the proof of payment). Throttled per target and per client address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gql.files import store
from gql.models.accounts import Account
from gql.models.invoices import InvoiceEmail
from gql.services.invoices import texts  # noqa: F401  (registers texts and mails)
from gql.services.invoices.reading import InvoiceView, invoice_by_number, scope
from gql.services.shared import outbox, throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidInputError, NotFoundError, Problems, raises
from gql.services.shared.formatting import format_date
from gql.services.shared.validation import mailbox_key

_NUMBER = re.compile(r"\d{4}-\d{6}")


@dataclass(frozen=True, slots=True)
class CopySent:
    invoice: InvoiceView
    sent_to: str


@raises(InvalidInputError, NotFoundError)
async def request_invoice_copy(deps: Deps, *, caller: Caller, invoice_number: str) -> CopySent:
    """E-mail the stored PDF of one of the caller's invoices again."""
    seen = await scope(deps, caller)
    number = invoice_number.strip()
    if not _NUMBER.fullmatch(number):
        problems = Problems()
        problems.add("invoiceNumber", "invoice_number_format")
        problems.raise_if_any()
    async with deps.db.read() as session:
        account = await session.get(Account, seen.account_id)
        digital = await session.get(InvoiceEmail, seen.organisation) if seen.organisation else None
    assert account is not None
    to = digital.email if digital is not None else account.email
    # Counted first, in its own transaction: asking for unknown numbers counts too.
    async with deps.db.write() as session:
        await throttle.hit_mail_limits(
            session, deps, target=mailbox_key(to), client_ip=caller.client_ip
        )
        await session.commit()
    invoice = await invoice_by_number(deps, seen=seen, number=number)
    if invoice is None:
        raise NotFoundError(field_path=("invoiceNumber",), message_key="invoice_not_found")
    stored = await store.info(deps.db, invoice.file_id)
    assert stored is not None
    now = deps.clock.now()
    async with deps.db.write() as session:
        await outbox.enqueue_email(
            session,
            to=to,
            template="invoice_copy",
            language=account.language,
            params={
                "name": account.name,
                "number": invoice.number,
                "date": format_date(invoice.issue_date, account.language),
            },
            now=now,
            settings=deps.settings,
            account_id=account.id,
            attachments=[stored],
        )
        await session.commit()
    return CopySent(invoice, to)
