"""Stored files that go out with a message, read from the file store when it is sent.

A mail refers to its attachments (outbox_attachment) instead of holding copies: the file
store keeps each file once and never changes it. What is sent is checked against the
SHA-256 recorded when the mail was queued, so a mail carries the stored file byte for byte
or is not sent at all (the dispatcher records the error and tries again later).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from gql.db import Database
from gql.files import store
from gql.models.outbox import OutboxAttachment, OutboxMessage
from gql.reader import Read


class AttachmentMismatchError(Exception):
    """A stored file is missing or differs from what the message was queued with."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


_attachment = OutboxAttachment.__table__  # type: ignore[attr-defined]
_OF_MESSAGE = Read(
    select(_attachment.c.file_id, _attachment.c.sha256)
    .where(_attachment.c.message_id == bindparam("message_id"))
    .order_by(_attachment.c.position)
)


async def load_attachments(db: Database | None, message: OutboxMessage) -> list[Attachment]:
    """The message's attachments, each checked against its SHA-256; raises when one is not
    what was queued (or when there is no database to read them from)."""
    if not message.attachment_count:
        return []
    if db is None:
        raise AttachmentMismatchError("attachments need the file store: no database given")
    rows = await db.reader.all(_OF_MESSAGE, message_id=message.id)
    if len(rows) != message.attachment_count:
        raise AttachmentMismatchError(f"message {message.id}: attachments missing")
    return [await read_verified(db, row.file_id, row.sha256) for row in rows]


async def read_verified(db: Database, file_id: int, sha256: str | None = None) -> Attachment:
    """A stored file's bytes, checked against its recorded SHA-256 (and `sha256` if given)."""
    info = await store.info(db, file_id)
    if info is None:
        raise AttachmentMismatchError(f"stored file {file_id} is missing")
    data = await store.read_all(db, info)
    digest = hashlib.sha256(data).hexdigest()
    if digest != info.sha256 or (sha256 is not None and digest != sha256):
        raise AttachmentMismatchError(f"stored file {file_id} differs from its SHA-256")
    return Attachment(info.filename, info.content_type, data)
