"""Importing a file from the bank: one path for staff uploads and `toegang bank-import`.

The file is read safely (`documents.parse`), its kind told by its namespace, and handed to
the importers registered for that kind, in one transaction with its record: each importer
answers what it did (`ImportOutcome`) or None when the file is none of its business (a
pain.002 about a pain.008 is not the refunds' business). A file no importer takes is
refused and nothing is kept.

Importing the same file twice changes nothing: a file whose bytes or (kind, message id)
were imported before answers the earlier record. Two imports of one file at once are
decided by the database's unique constraints: the loser's transaction rolls back whole and
its retry finds the winner's record.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gql.files import store
from gql.models.bank_files import BankFile, BankFileChannel, BankFileKind
from gql.services.bank_files import records, texts  # noqa: F401  (registers texts)
from gql.services.bank_files.documents import (
    MAX_BYTES,
    BankDocument,
    UnsupportedBankFileError,
    parse,
)
from gql.services.bank_files.records import BankFileView, Change
from gql.services.bank_files.status_reports import Status, read_status_report
from gql.services.filings.inspection import UnsafeDocumentError
from gql.services.shared import audit
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    DomainError,
    ForbiddenError,
    InvalidInputError,
    Problems,
    raises,
)

#: The kinds of file that come from the bank.
IMPORTED = (BankFileKind.PAIN_002, BankFileKind.CAMT_054)


class UnmatchedBankFileError(DomainError):
    description = (
        "The file is about no file this service made (its original message identification "
        "is unknown), or about nothing the service handles; nothing was kept or changed."
    )
    code_description = "UnmatchedBankFile: the file reports on nothing of this service."
    message_key = "bank_file_unmatched"
    data: ClassVar[dict[str, tuple[type, str]]] = {
        "original_message_id": (str, "The message identification the file refers to."),
    }


@dataclass(frozen=True, slots=True)
class ImportContext:
    """What an importer gets: the open transaction, the message, and its stored file."""

    session: AsyncSession
    deps: Deps
    document: BankDocument
    file_id: int
    now: datetime


async def report_on_our_file(
    context: ImportContext, kind: BankFileKind
) -> tuple[BankFile, dict[str, Status | None]] | None:
    """A status report (pain.002) on one of the files of `kind` we made: that file's record
    and each of its transactions' reported status; None for a report on anything else."""
    report = read_status_report(context.document)
    if report.original_kind is not kind:
        return None
    original = await records.find_made(
        context.session, kind=kind, message_id=report.original_message_id
    )
    if original is None:
        return None
    stored = await store.info(context.deps.db, original.file_id)
    assert stored is not None
    made = parse(await store.read_all(context.deps.db, stored))
    return original, report.outcomes(made)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an importer did: each reported transaction's result, and a summary."""

    changes: list[Change]
    transactions: int
    total_cents: int
    original_message_id: str | None = None


Importer = Callable[[ImportContext], Awaitable[ImportOutcome | None]]
IMPORTERS: dict[BankFileKind, list[Importer]] = {kind: [] for kind in IMPORTED}


def register_importer(kind: BankFileKind, importer: Importer) -> None:
    """Hand every imported file of `kind` to `importer` (at import time of its module)."""
    if kind not in IMPORTERS:
        raise ValueError(f"{kind} is not imported (only {', '.join(IMPORTED)})")
    if importer in IMPORTERS[kind]:
        raise ValueError(f"{importer.__qualname__} is already registered for {kind}")
    IMPORTERS[kind].append(importer)


def _load_importers() -> None:
    """Import every service module once, so each domain's `register_importer` has run,
    whichever entry point (the app, the command line) imports first."""
    import gql.services

    for module in pkgutil.walk_packages(gql.services.__path__, "gql.services."):
        importlib.import_module(module.name)


@dataclass(frozen=True, slots=True)
class UploadedBankFile:
    """The uploaded file, spooled to a private temporary file for this request."""

    path: Path
    size: int


@dataclass(frozen=True, slots=True)
class ImportReceipt:
    bank_file: BankFileView
    #: True: the file had been imported before; nothing was changed now.
    already_imported: bool

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.bank_file.changes)


@raises(InvalidInputError, UnsupportedBankFileError, UnsafeDocumentError, UnmatchedBankFileError)
async def import_bank_file(
    deps: Deps,
    *,
    caller: Caller | None,
    upload: UploadedBankFile | None,
    channel: BankFileChannel = BankFileChannel.CLI,
) -> ImportReceipt:
    """Import a status report (pain.002) or notification (camt.054); staff (audited) or a
    command (`caller` None)."""
    if caller is not None and not caller.is_staff:
        raise ForbiddenError()
    problems = Problems()
    if upload is None:
        problems.add("file", "bank_file_required")
    elif upload.size == 0:
        problems.add("file", "bank_file_empty")
    problems.raise_if_any()
    assert upload is not None
    if upload.size > MAX_BYTES:
        raise UnsafeDocumentError(
            field_path=("file",),
            message_key="document_xml_too_large",
            maximum=f"{MAX_BYTES // (1024 * 1024)} MB",
        )
    data = await anyio.to_thread.run_sync(upload.path.read_bytes)
    document = await anyio.to_thread.run_sync(parse, data)
    if document.kind not in IMPORTED:
        raise UnsupportedBankFileError(
            field_path=("file",), message_key="bank_file_outgoing", message=document.message_name
        )
    if not document.message_id:
        raise UnsupportedBankFileError(field_path=("file",), message_key="bank_file_no_message_id")
    _load_importers()
    digest = hashlib.sha256(data).hexdigest()
    for _attempt in range(3):
        try:
            return await _import(deps, caller, channel, document, data, digest)
        except IntegrityError:
            # The same file imported at once elsewhere: the retry finds its record.
            continue
    raise RuntimeError("bank file import kept conflicting")


async def _import(
    deps: Deps,
    caller: Caller | None,
    channel: BankFileChannel,
    document: BankDocument,
    data: bytes,
    digest: str,
) -> ImportReceipt:
    now = deps.clock.now()
    async with deps.db.write() as session:
        seen = await records.find_seen(
            session, sha256=digest, kind=document.kind, message_id=document.message_id
        )
        if seen is not None:
            if caller is not None:
                await audit.record(
                    session,
                    caller=caller,
                    action="bank_file.import_repeated",
                    subject=f"bank_file:{seen}",
                    details=f"{document.message_name} {document.message_id}: imported before; "
                    "nothing changed",
                    now=now,
                )
                await session.commit()
            return ImportReceipt(await records.read(deps, int(seen)), already_imported=True)
        stored = await records.store_file(
            session, kind=document.kind, data=data, message_id=document.message_id, now=now
        )
        context = ImportContext(session, deps, document, stored.id, now)
        outcomes = [
            outcome
            for importer in IMPORTERS[document.kind]
            if (outcome := await importer(context)) is not None
        ]
        original = next((o.original_message_id for o in outcomes if o.original_message_id), None)
        if not outcomes:
            raise UnmatchedBankFileError(
                field_path=("file",), original_message_id=_original_of(document)
            )
        row = await records.record(
            session,
            kind=document.kind,
            data=data,
            message_id=document.message_id,
            caller=caller,
            channel=channel,
            transactions=sum(o.transactions for o in outcomes),
            total_cents=sum(o.total_cents for o in outcomes),
            now=now,
            original_message_id=original,
            changes=[change for o in outcomes for change in o.changes],
            stored=stored,
        )
        if caller is not None:
            changed = sum(c.changed for o in outcomes for c in o.changes)
            await audit.record(
                session,
                caller=caller,
                action="bank_file.imported",
                subject=f"bank_file:{row.id}",
                details=f"{document.message_name} {document.message_id} on "
                f"{original or '-'}: {changed} transactions processed",
                now=now,
            )
        await session.commit()
    assert row.id is not None
    return ImportReceipt(await records.read(deps, row.id), already_imported=False)


def _original_of(document: BankDocument) -> str:
    """The message a pain.002 reports on, for the error's text ("-" when it names none)."""
    message = document.message
    if message is None or document.kind is not BankFileKind.PAIN_002:
        return "-"
    return document.text(message, "OrgnlGrpInfAndSts", "OrgnlMsgId") or "-"
