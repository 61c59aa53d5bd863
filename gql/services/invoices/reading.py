"""Reading invoices, and who may (SPEC §2): an organisation's main user sees every invoice
of the organisation, a private account its own; other codes of an organisation see none
(their list is empty, like that of an account with no invoices); staff have no invoice
list (FORBIDDEN). Anyone else's invoice answers like an unknown one, and so does its PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from gql.files.access import Downloader, register_owner
from gql.models.accounts import Account, Usage
from gql.models.invoices import (
    CollectionStatus,
    Invoice,
    InvoiceEmail,
    InvoiceKind,
    InvoiceLine,
    InvoicePaymentMethod,
    InvoiceStatus,
)
from gql.models.outbox import Channel
from gql.reader import Read
from gql.services.invoices.issuing import OWNER_KIND
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import ForbiddenError, UnauthenticatedError
from gql.services.shared.formatting import end_of_local_day, start_of_local_day


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: int
    number: str
    kind: InvoiceKind
    status: InvoiceStatus
    payer_kvk_number: str | None
    payer_account_id: int | None
    payer_name: str
    address: str
    delivery_channel: Channel
    delivery_email: str | None
    issued_at: datetime
    issue_date: date
    due_date: date
    month: date | None
    total_cents: int
    vat_cents: int
    paid_at: datetime | None
    payment_method: InvoicePaymentMethod
    mandate_reference: str | None
    mandate_signed_on: date | None
    iban_masked: str | None
    collection_status: CollectionStatus | None
    collected_at: datetime | None
    file_id: int

    @property
    def address_lines(self) -> list[str]:
        return self.address.splitlines()


@dataclass(frozen=True, slots=True)
class LineView:
    invoice_id: int
    position: int
    order_reference: str | None
    product_code: str | None
    description: str
    kvk_number: str | None
    company_name: str | None
    service_date: date
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose invoices a caller sees: an organisation's (its main user), an account's own
    (a private account), or none (another code of an organisation)."""

    account_id: int
    organisation: str | None
    private: bool

    @property
    def sees_any(self) -> bool:
        return self.private or self.organisation is not None

    def sees(self, view: Any) -> bool:
        if self.organisation is not None:
            return bool(view.payer_kvk_number == self.organisation)
        return self.private and view.payer_account_id == self.account_id


_invoice = Invoice.__table__  # type: ignore[attr-defined]
_line = InvoiceLine.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]

_VIEWER = Read(
    select(
        _account.c.usage, _account.c.kvk_number, _account.c.is_main_user, _account.c.active
    ).where(_account.c.id == bindparam("account_id"))
)


def _scope_of(account_id: int, row: Any) -> Scope | None:
    if row is None or not row.active or row.usage == Usage.STAFF:
        return None
    if row.usage == Usage.PRIVATE:
        return Scope(account_id, None, private=True)
    return Scope(account_id, row.kvk_number if row.is_main_user else None, private=False)


async def scope(deps: Deps, caller: Caller) -> Scope:
    """The caller's scope; UNAUTHENTICATED without a session, FORBIDDEN for staff."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    row = await deps.db.reader.first(_VIEWER, account_id=caller.account_id)
    if row is None or not row.active:
        raise UnauthenticatedError()
    found = _scope_of(caller.account_id, row)
    if found is None:
        raise ForbiddenError()
    return found


_COLUMNS = select(
    _invoice.c.id,
    _invoice.c.number,
    _invoice.c.kind,
    _invoice.c.status,
    _invoice.c.payer_kvk_number,
    _invoice.c.payer_account_id,
    _invoice.c.payer_name,
    _invoice.c.address,
    _invoice.c.delivery_channel,
    _invoice.c.delivery_email,
    _invoice.c.issued_at,
    _invoice.c.issue_date,
    _invoice.c.due_date,
    _invoice.c.month,
    _invoice.c.total_cents,
    _invoice.c.vat_cents,
    _invoice.c.paid_at,
    _invoice.c.payment_method,
    _invoice.c.mandate_reference,
    _invoice.c.mandate_signed_on,
    _invoice.c.iban_masked,
    _invoice.c.collection_status,
    _invoice.c.collected_at,
    _invoice.c.file_id,
)
_ONE = Read(_COLUMNS.where(_invoice.c.id == bindparam("invoice_id")))
_BY_NUMBER = Read(_COLUMNS.where(_invoice.c.number == bindparam("number")))


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    status: InvoiceStatus | None = None
    issued_from: date | None = None  # inclusive days in Europe/Amsterdam
    issued_until: date | None = None


@cache
def _page(organisation: bool, status: bool, since: bool, until: bool, after: bool) -> Read:
    conditions = [
        _invoice.c.payer_kvk_number == bindparam("organisation")
        if organisation
        else _invoice.c.payer_account_id == bindparam("account_id")
    ]
    if status:
        conditions.append(_invoice.c.status == bindparam("status"))
    if since:
        conditions.append(_invoice.c.issued_at >= bindparam("since"))
    if until:
        conditions.append(_invoice.c.issued_at < bindparam("until"))
    if after:
        conditions.append(_invoice.c.id < bindparam("before_id"))
    return Read(
        _COLUMNS.where(*conditions).order_by(_invoice.c.id.desc()).limit(bindparam("limit"))
    )


def view_of(row: Any) -> InvoiceView:
    values = row._asdict()
    values["kind"] = InvoiceKind(values["kind"])
    values["status"] = InvoiceStatus(values["status"])
    values["delivery_channel"] = Channel(values["delivery_channel"])
    values["payment_method"] = InvoicePaymentMethod(values["payment_method"])
    if values["collection_status"] is not None:
        values["collection_status"] = CollectionStatus(values["collection_status"])
    return InvoiceView(**values)


async def list_invoices(
    deps: Deps, *, caller: Caller, where: InvoiceFilter, before_id: int | None, limit: int
) -> list[InvoiceView]:
    """The caller's invoices, newest first, in one statement (none for other codes)."""
    seen = await scope(deps, caller)
    if not seen.sees_any:
        return []
    read = _page(
        seen.organisation is not None,
        where.status is not None,
        where.issued_from is not None,
        where.issued_until is not None,
        before_id is not None,
    )
    rows = await deps.db.reader.all(
        read,
        account_id=seen.account_id,
        organisation=seen.organisation,
        status=where.status.value if where.status else None,
        since=start_of_local_day(where.issued_from) if where.issued_from else None,
        until=end_of_local_day(where.issued_until) if where.issued_until else None,
        before_id=before_id,
        limit=limit,
    )
    return [view_of(row) for row in rows]


async def get_invoice(deps: Deps, *, caller: Caller, invoice_id: int) -> InvoiceView | None:
    """One invoice, if the caller may see it (else None, as for an unknown id)."""
    try:
        seen = await scope(deps, caller)
    except (UnauthenticatedError, ForbiddenError):
        return None
    row = await deps.db.reader.first(_ONE, invoice_id=invoice_id)
    return view_of(row) if row is not None and seen.sees(row) else None


async def invoice_by_number(deps: Deps, *, seen: Scope, number: str) -> InvoiceView | None:
    """An invoice by its number, if `seen` sees it (else None, as for an unknown number)."""
    row = await deps.db.reader.first(_BY_NUMBER, number=number)
    return view_of(row) if row is not None and seen.sees(row) else None


_LINES = Read(
    select(
        _line.c.invoice_id,
        _line.c.position,
        _line.c.order_reference,
        _line.c.product_code,
        _line.c.description,
        _line.c.kvk_number,
        _line.c.company_name,
        _line.c.service_date,
        _line.c.amount_cents,
    )
    .where(_line.c.invoice_id.in_(bindparam("invoice_ids", expanding=True)))
    .order_by(_line.c.invoice_id, _line.c.position)
)


async def lines_of(deps: Deps, invoice_ids: Sequence[int]) -> list[list[LineView]]:
    """The lines of each invoice (for a DataLoader): one statement for any number of them."""
    found: dict[int, list[LineView]] = {invoice_id: [] for invoice_id in invoice_ids}
    for row in await deps.db.reader.all(_LINES, invoice_ids=list(invoice_ids)):
        found[row.invoice_id].append(LineView(**row._asdict()))
    return [found[invoice_id] for invoice_id in invoice_ids]


# ---- the delivery settings of an organisation ---------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryView:
    kvk_number: str
    channel: Channel
    email: str | None


async def delivery_of(deps: Deps, *, kvk_number: str) -> DeliveryView:
    async with deps.db.read() as session:
        digital = await session.get(InvoiceEmail, kvk_number)
    if digital is None:
        return DeliveryView(kvk_number, Channel.POST, None)
    return DeliveryView(kvk_number, Channel.EMAIL, digital.email)


async def invoice_delivery(deps: Deps, *, caller: Caller) -> DeliveryView:
    """How the caller's organisation gets its invoices (its main user only)."""
    seen = await scope(deps, caller)
    if seen.organisation is None:
        raise ForbiddenError()
    return await delivery_of(deps, kvk_number=seen.organisation)


# ---- downloads -----------------------------------------------------------------------------

_FILE_INVOICE = Read(
    select(_invoice.c.payer_kvk_number, _invoice.c.payer_account_id).where(
        _invoice.c.file_id == bindparam("file_id")
    )
)


async def _may_download(deps: Deps, downloader: Downloader, file_id: int) -> bool:
    """The payer: the organisation's main user, or the private account."""
    invoice = await deps.db.reader.first(_FILE_INVOICE, file_id=file_id)
    if invoice is None:
        return False
    row = await deps.db.reader.first(_VIEWER, account_id=downloader.account_id)
    seen = _scope_of(downloader.account_id, row)
    return seen is not None and seen.sees(invoice)


register_owner(OWNER_KIND, _may_download)
