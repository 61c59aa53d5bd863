"""The record of every bank file: kept in the file store, listed for staff, downloaded by staff.

A file is stored and recorded in the transaction of what it is about (the refunds it pays
out, the invoices it collects, what an import changed), so a file and its effect are never
separated. The record is complete when written and never changes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.files import store
from gql.files.access import Downloader, register_owner
from gql.models.accounts import Account
from gql.models.bank_files import BankFile, BankFileChannel, BankFileDirection, BankFileKind
from gql.models.files import StoredFile
from gql.reader import Read
from gql.services.shared.deps import Caller, Deps

OWNER_KIND = "bank_file"
_PREFIX = {
    BankFileKind.PAIN_001: "CT",
    BankFileKind.PAIN_008: "DD",
    BankFileKind.PAIN_002: "ST",
    BankFileKind.CAMT_054: "NT",
}


@dataclass(frozen=True, slots=True)
class Change:
    """What an import did with one reported transaction (`reference`: its end-to-end id)."""

    reference: str
    result: str  # e.g. RETURNED, ACCEPTED, PAID, FAILED, UNKNOWN
    changed: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BankFileView:
    id: int
    kind: BankFileKind
    direction: BankFileDirection
    message_id: str
    original_message_id: str | None
    file_id: int
    sha256: str
    size: int
    filename: str
    created_at: datetime
    channel: BankFileChannel
    created_by_id: int | None
    created_by_name: str | None
    transactions: int
    total_cents: int
    changes: tuple[Change, ...]

    @property
    def created_by(self) -> str:
        """The staff member's name, or the command ("cli", "worker")."""
        return self.created_by_name or self.channel.value.lower()


def new_message_id(kind: BankFileKind, references: list[str]) -> str:
    """The message id of a file made here, from the end-to-end ids it carries: each refund or
    invoice goes to the bank once, so no two files share them, and the same content always
    gets the same id (what the bank's status report is matched by). 27 characters of the
    SEPA character set."""
    digest = hashlib.sha256("|".join([kind.value, *references]).encode()).hexdigest()
    return f"TGK-{_PREFIX[kind]}-{digest[:20].upper()}"


def channel_of(
    caller: Caller | None, channel: BankFileChannel
) -> tuple[BankFileChannel, int | None]:
    """STAFF and the staff member for a caller; the command's channel without one."""
    if caller is not None:
        assert caller.is_staff and caller.account_id is not None
        return BankFileChannel.STAFF, caller.account_id
    assert channel is not BankFileChannel.STAFF
    return channel, None


async def record(
    session: AsyncSession,
    *,
    kind: BankFileKind,
    data: bytes,
    message_id: str,
    caller: Caller | None,
    channel: BankFileChannel = BankFileChannel.CLI,
    transactions: int,
    total_cents: int,
    now: datetime,
    original_message_id: str | None = None,
    changes: list[Change] | None = None,
    stored: store.FileInfo | None = None,
) -> BankFile:
    """Store `data` (unless it is `stored` already) and record it, in the caller's
    transaction; a second file with the same message id or bytes fails at the database."""
    if stored is None:
        stored = await store_file(session, kind=kind, data=data, message_id=message_id, now=now)
    made_by, by_id = channel_of(caller, channel)
    row = BankFile(
        kind=kind,
        direction=(
            BankFileDirection.OUT
            if kind in (BankFileKind.PAIN_001, BankFileKind.PAIN_008)
            else BankFileDirection.IN
        ),
        message_id=message_id,
        original_message_id=original_message_id,
        file_id=stored.id,
        sha256=stored.sha256,
        created_at=now,
        channel=made_by,
        created_by_id=by_id,
        transactions=transactions,
        total_cents=total_cents,
        changes=orjson.dumps(
            [
                {"reference": c.reference, "result": c.result, "changed": c.changed}
                | ({"reason": c.reason} if c.reason else {})
                for c in changes or []
            ]
        ).decode(),
    )
    session.add(row)
    await session.flush()
    return row


async def store_file(
    session: AsyncSession, *, kind: BankFileKind, data: bytes, message_id: str, now: datetime
) -> store.FileInfo:
    """The file in the file store (owner kind "bank_file"), named after kind and message."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in message_id)
    return await store.put(
        session,
        io.BytesIO(data),
        content_type="application/xml",
        filename=f"{kind.value.lower().replace('_', '.')}-{safe}.xml",
        owner_kind=OWNER_KIND,
        now=now,
    )


async def find_seen(
    session: AsyncSession, *, sha256: str, kind: BankFileKind, message_id: str
) -> Any:
    """The record of a file with these bytes, or of this kind with this message id."""
    return (
        await session.execute(
            select(BankFile.id)
            .where(
                (BankFile.sha256 == sha256)
                | ((BankFile.kind == kind) & (BankFile.message_id == message_id))
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def find_made(
    session: AsyncSession, *, kind: BankFileKind, message_id: str
) -> BankFile | None:
    """A file this service made, by its message id (what a status report refers to)."""
    return (
        await session.execute(
            select(BankFile).where(
                BankFile.kind == kind,
                BankFile.message_id == message_id,
                BankFile.direction == BankFileDirection.OUT,
            )
        )
    ).scalar_one_or_none()


# ---- reading ------------------------------------------------------------------------------

_bank_file = BankFile.__table__  # type: ignore[attr-defined]
_file = StoredFile.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    select(
        _bank_file.c.id,
        _bank_file.c.kind,
        _bank_file.c.direction,
        _bank_file.c.message_id,
        _bank_file.c.original_message_id,
        _bank_file.c.file_id,
        _bank_file.c.sha256,
        _file.c.size,
        _file.c.filename,
        _bank_file.c.created_at,
        _bank_file.c.channel,
        _bank_file.c.created_by_id,
        _account.c.name.label("created_by_name"),
        _bank_file.c.transactions,
        _bank_file.c.total_cents,
        _bank_file.c.changes,
    )
    .join(_file, _file.c.id == _bank_file.c.file_id)
    .outerjoin(_account, _account.c.id == _bank_file.c.created_by_id)
)


def _page(*, kind: bool, after: bool) -> Read:
    conditions = []
    if kind:
        conditions.append(_bank_file.c.kind == bindparam("kind"))
    if after:
        conditions.append(_bank_file.c.id < bindparam("before_id"))
    return Read(
        _COLUMNS.where(*conditions).order_by(_bank_file.c.id.desc()).limit(bindparam("limit"))
    )


_PAGES = {(k, a): _page(kind=k, after=a) for k in (False, True) for a in (False, True)}
_ONE = Read(_COLUMNS.where(_bank_file.c.id == bindparam("bank_file_id")))
_BY_FILE = Read(select(_bank_file.c.id).where(_bank_file.c.file_id == bindparam("file_id")))


def _view(row: Any) -> BankFileView:
    values = row._asdict()
    values["changes"] = tuple(Change(**c) for c in orjson.loads(values["changes"]))
    return BankFileView(**values)


async def list_bank_files(
    deps: Deps, *, kind: BankFileKind | None, before_id: int | None, limit: int
) -> list[BankFileView]:
    """Newest first, one statement (staff only: the resolver asks for staff)."""
    rows = await deps.db.reader.all(
        _PAGES[(kind is not None, before_id is not None)],
        kind=kind,
        before_id=before_id,
        limit=limit,
    )
    return [_view(row) for row in rows]


async def get_bank_file(deps: Deps, *, caller: Caller, bank_file_id: int) -> BankFileView | None:
    """One record, for staff; None for everyone else (as for an unknown id)."""
    if not caller.is_staff:
        return None
    row = await deps.db.reader.first(_ONE, bank_file_id=bank_file_id)
    return _view(row) if row else None


async def read(deps: Deps, bank_file_id: int) -> BankFileView:
    """A record just written (committed), for the answer of the use case that wrote it."""
    row = await deps.db.reader.first(_ONE, bank_file_id=bank_file_id)
    assert row is not None
    return _view(row)


async def _may_download(deps: Deps, downloader: Downloader, file_id: int) -> bool:
    """Bank files hold account numbers and amounts of many customers: staff only."""
    return downloader.is_staff and await deps.db.reader.first(_BY_FILE, file_id=file_id) is not None


register_owner(OWNER_KIND, _may_download)
