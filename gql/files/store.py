"""The file store: one port, one backend today — the database itself.

A file is written in chunks of about 1 MiB in the same transaction as the row that owns it
(`put` takes the caller's session), and read back chunk by chunk, one statement each on the
read connection (`chunks`), so neither way holds a whole file in memory. SHA-256 and size
are recorded as it goes in; a stored file never changes (the database refuses UPDATE).

For very large deployments an object store (S3-compatible) could take the bytes: `put`
would write the object under a random key before the owner's transaction commits and keep
the key in `stored_file`, and a sweeper would remove objects no row points at. It pays off
when files are many gigabytes in total or far larger than tens of MiB each (database backups
and replication then carry them all); bench/README.md has the throughput of this backend.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import anyio.to_thread
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.db import Database
from gql.models.files import FileChunk, StoredFile
from gql.reader import Read

CHUNK_BYTES = 1024 * 1024

_file = StoredFile.__table__  # type: ignore[attr-defined]
_chunk = FileChunk.__table__  # type: ignore[attr-defined]
_INFO = Read(select(_file).where(_file.c.id == bindparam("file_id")))
_CHUNK = Read(
    select(_chunk.c.data).where(
        _chunk.c.file_id == bindparam("file_id"), _chunk.c.seq == bindparam("seq")
    )
)


@dataclass(frozen=True, slots=True)
class FileInfo:
    id: int
    sha256: str
    size: int
    chunks: int
    content_type: str
    filename: str
    owner_kind: str
    created_at: datetime


async def put(
    session: AsyncSession,
    source: BinaryIO,
    *,
    content_type: str,
    filename: str,
    owner_kind: str,
    now: datetime,
) -> FileInfo:
    """Store what `source` holds (read from its current position), inside the caller's
    transaction; nothing of it is visible until that transaction commits."""
    row = StoredFile(
        sha256="",
        size=0,
        chunks=0,
        content_type=content_type,
        filename=filename[:200],
        owner_kind=owner_kind,
        created_at=now,
    )
    # Two passes over the (spooled, local) source: the first finds SHA-256, size and chunk
    # count, so the row is written once and complete (it never changes); the second writes
    # the chunks under its id. Neither holds more than one chunk in memory.
    digest = hashlib.sha256()
    size = 0
    chunks: list[int] = []
    start = await anyio.to_thread.run_sync(source.tell)
    while True:
        data = await anyio.to_thread.run_sync(source.read, CHUNK_BYTES)
        if not data:
            break
        digest.update(data)
        size += len(data)
        chunks.append(len(data))
    row.sha256, row.size, row.chunks = digest.hexdigest(), size, len(chunks)
    session.add(row)
    await session.flush()
    assert row.id is not None
    await anyio.to_thread.run_sync(source.seek, start)
    for seq in range(len(chunks)):
        data = await anyio.to_thread.run_sync(source.read, CHUNK_BYTES)
        await session.execute(insert(FileChunk).values(file_id=row.id, seq=seq, data=data))
    return _info(row)


async def info(db: Database, file_id: int) -> FileInfo | None:
    row = await db.reader.first(_INFO, file_id=file_id)
    return FileInfo(**row._asdict()) if row else None


async def chunks(db: Database, stored: FileInfo) -> AsyncIterator[bytes]:
    """The file's bytes, one chunk (one statement on the read connection) at a time."""
    for seq in range(stored.chunks):
        row = await db.reader.first(_CHUNK, file_id=stored.id, seq=seq)
        if row is None:
            raise LookupError(f"chunk {seq} of file {stored.id} is missing")
        yield row.data


async def read_all(db: Database, stored: FileInfo) -> bytes:
    """The whole file in memory: only for small files (a mail attachment, a test)."""
    return b"".join([part async for part in chunks(db, stored)])


async def remove(session: AsyncSession, file_id: int) -> None:
    """Delete a file whose owner's retention period is over (its chunks go with it)."""
    await session.execute(delete(FileChunk).where(col(FileChunk.file_id) == file_id))
    await session.execute(delete(StoredFile).where(col(StoredFile.id) == file_id))


async def remove_older(session: AsyncSession, *, owner_kind: str, before: datetime) -> int:
    """Delete every file of one kind stored before a moment (retention); returns how many."""
    ids = list(
        (
            await session.execute(
                select(col(StoredFile.id)).where(
                    col(StoredFile.owner_kind) == owner_kind, col(StoredFile.created_at) < before
                )
            )
        ).scalars()
    )
    for file_id in ids:
        assert file_id is not None
        await remove(session, file_id)
    return len(ids)


def _info(row: StoredFile) -> FileInfo:
    assert row.id is not None
    return FileInfo(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        chunks=row.chunks,
        content_type=row.content_type,
        filename=row.filename,
        owner_kind=row.owner_kind,
        created_at=row.created_at,
    )
