"""Senders: one per outbox channel, each delivering one message or raising."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import ssl
import tempfile
from collections.abc import Sequence
from datetime import UTC
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy import update
from sqlmodel import col

from gql.db import Database
from gql.files import store
from gql.files.access import Downloader, register_owner
from gql.mail.attachments import Attachment, load_attachments, read_verified
from gql.mail.letters import letter_slug, render_letter
from gql.models.outbox import OutboxMessage
from gql.settings import Settings, SmtpTls

SMTP_TIMEOUT_SECONDS = 15.0
# aiosmtplib's start_tls per mode: None upgrades when the server offers it, True demands it
# (no STARTTLS, no mail), False never (the connection is TLS from the start).
_START_TLS: dict[SmtpTls, bool | None] = {
    SmtpTls.OPPORTUNISTIC: None,
    SmtpTls.STARTTLS: True,
    SmtpTls.TLS_ON_CONNECT: False,
}


class Sender(Protocol):
    """Delivers one outbox message; raises when it could not."""

    async def send(self, message: OutboxMessage) -> None: ...


def make_senders(settings: Settings, db: Database | None = None) -> dict[str, Sender]:
    """The sender for each channel: SMTP when a host is set, else a folder; letters as PDF
    (kept in the file store when a database is given). Attachments are read from the file
    store, so a mail with attachments needs the database."""
    email: Sender = SmtpSender(settings, db) if settings.smtp_host else FolderSender(settings, db)
    return {"EMAIL": email, "POST": PostSender(settings, db)}


def build_email(
    message: OutboxMessage, *, mail_from: str, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """The e-mail for an outbox row; the same row always gives the same headers.

    Attachments go base64-encoded as they are stored, so the receiver decodes the stored
    bytes exactly."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The composition time, not the send time: a retry is the same message.
    email["Date"] = format_datetime(message.created_at)
    # Stable, so a re-send after a crash is recognisable as a duplicate.
    email["Message-ID"] = message.message_id
    # RFC 3834: keeps vacation responders from answering a no-reply address.
    email["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the body 7-bit, so no server needs 8BITMIME or SMTPUTF8.
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header set before it.
    email["Content-Language"] = message.language
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email


class SmtpSender:
    """Sends e-mail through the SMTP server named in the settings, over verified TLS.

    Wherever TLS happens (an opportunistic or required STARTTLS, or TLS on connect), the
    server's certificate and host name are checked; a server that fails gets no mail (the
    dispatcher records the error and tries again later). The login goes only where TLS is
    required: an opportunistic upgrade can be stripped by anyone on the path.
    """

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self._settings = settings
        self._db = db
        # Built once, at start: a broken CA bundle stops the start instead of every send.
        self._tls_context = smtp_tls_context(settings)
        self._envelope_sender = parseaddr(settings.mail_from)[1]
        # Settings made in code may hold the mode as a plain string: compare members only.
        self._mode = SmtpTls(settings.smtp_tls)
        self._login = self._mode is not SmtpTls.OPPORTUNISTIC and bool(settings.smtp_username)

    async def send(self, message: OutboxMessage) -> None:
        """Send one mail; raises aiosmtplib, TLS or OS errors when the server does not accept it."""
        settings = self._settings
        files = await load_attachments(self._db, message)
        await aiosmtplib.send(
            build_email(message, mail_from=settings.mail_from, attachments=files),
            # The envelope, explicitly: never read from the headers, so the one stored
            # recipient is the one mailbox that gets it.
            sender=self._envelope_sender,
            recipients=[message.recipient],
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username if self._login else None,
            password=settings.smtp_password if self._login else None,
            use_tls=self._mode is SmtpTls.TLS_ON_CONNECT,
            start_tls=_START_TLS[self._mode],
            tls_context=self._tls_context,
            validate_certs=True,
            timeout=SMTP_TIMEOUT_SECONDS,
        )


def smtp_tls_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the certificate and host name, against TOEGANG_SMTP_CA_FILE or the system CAs."""
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    context = ssl.create_default_context(cafile=cafile)
    # The defaults already; set so that no later default or library can loosen them.
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class FolderSender:
    """Writes each e-mail as an .eml file into data_dir/mail, for development without SMTP."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self._settings = settings
        self._db = db
        self.folder = settings.data_dir / "mail"

    async def send(self, message: OutboxMessage) -> None:
        """Write the mail; a re-send overwrites the same file."""
        files = await load_attachments(self._db, message)
        email = build_email(message, mail_from=self._settings.mail_from, attachments=files)
        name = f"{message.created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{message.id or 0:08d}.eml"
        await asyncio.to_thread(write_atomically, self.folder / name, email.as_bytes(policy=SMTP))


class PostSender:
    """Renders each letter as a PDF and keeps it in the file store, where a print partner
    would take it from; without a post service a copy goes to data_dir/letters for a person
    to open (the retention job removes both after TOEGANG_RETENTION_LETTER_DAYS).

    A letter that already has its PDF in the file store (an invoice, or a letter sent
    before) goes as that stored file, byte for byte, after its SHA-256 is checked."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.folder = settings.data_dir / "letters"
        self.db = db

    async def send(self, message: OutboxMessage) -> None:
        """Render and store the letter once; a re-send writes the same copy again."""
        path = self.folder / f"{message.id or 0:08d}-{letter_slug(message)}.pdf"
        if message.file_id is not None and self.db is not None:
            pdf = (await read_verified(self.db, message.file_id)).data
        else:
            # Rendering is CPU work; keep it off the event loop.
            pdf = await asyncio.to_thread(render_letter, message)
            if self.db is not None and message.file_id is None:
                await self._keep(message, pdf)
        await asyncio.to_thread(write_atomically, path, pdf)

    async def _keep(self, message: OutboxMessage, pdf: bytes) -> None:
        assert self.db is not None
        async with self.db.write() as session:
            stored = await store.put(
                session,
                io.BytesIO(pdf),
                content_type="application/pdf",
                filename=f"brief-{message.id or 0:08d}.pdf",
                owner_kind=LETTER,
                now=message.created_at,
            )
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message.id, col(OutboxMessage.file_id).is_(None))
                .values(file_id=stored.id)
            )
            await session.commit()
        message.file_id = stored.id


LETTER = "letter"


async def _staff_only(_deps: object, downloader: Downloader, _file_id: int) -> bool:
    """Letters carry access codes: only the back office may fetch one again."""
    return downloader.is_staff


register_owner(LETTER, _staff_only)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so a reader sees either nothing or all of it, also after a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp makes the file 0600: mails and letters hold access codes.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename itself is only durable once the folder entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
