"""Queue mails and letters inside the caller's transaction (the outbox pattern)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.keys import Purpose, keyring
from gql.mail.templates import render
from gql.models.outbox import Channel, OutboxAttachment, OutboxMessage
from gql.services.shared.deps import Deps
from gql.settings import Settings


class StoredFileRef(Protocol):
    """A file in the file store (gql.files.store.FileInfo): its id and SHA-256."""

    @property
    def id(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class Addressee(Protocol):
    """Whom a mail is for: an account, or anything else with these attributes."""

    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def language(self) -> str: ...


def _message_id(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "toegang.localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


def _queue(
    session: AsyncSession,
    *,
    channel: Channel,
    recipient: str,
    address: str,
    template: str,
    language: str,
    params: dict[str, object],
    now: datetime,
    settings: Settings,
    account_id: int | None,
) -> OutboxMessage:
    subject, body = render(template, language, params)
    message = OutboxMessage(
        message_id=_message_id(settings.public_url),
        channel=channel,
        template=template,
        language=language,
        recipient=recipient,
        address=address,
        subject=subject,
        body=keyring(settings.secret_key).seal(Purpose.MAIL_BODY, body),
        account_id=account_id,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


async def enqueue_email(
    session: AsyncSession,
    *,
    to: str,
    template: str,
    language: str,
    params: dict[str, object],
    now: datetime,
    settings: Settings,
    account_id: int | None = None,
    attachments: Sequence[StoredFileRef] = (),
) -> OutboxMessage:
    """Queue an e-mail; it is sent only if the surrounding transaction commits.

    `attachments` are stored files (gql.files.store), attached by reference when the mail
    is sent and checked then against the SHA-256 they have now."""
    message = _queue(
        session,
        channel=Channel.EMAIL,
        recipient=to,
        address="",
        template=template,
        language=language,
        params=params,
        now=now,
        settings=settings,
        account_id=account_id,
    )
    if attachments:
        message.attachment_count = len(attachments)
        await session.flush()
        assert message.id is not None
        for position, stored in enumerate(attachments):
            session.add(
                OutboxAttachment(
                    message_id=message.id,
                    position=position,
                    file_id=stored.id,
                    sha256=stored.sha256,
                )
            )
    return message


async def mail_account(
    session: AsyncSession,
    *,
    account: Addressee,
    template: str,
    params: dict[str, object],
    now: datetime,
    settings: Settings,
    attachments: Sequence[StoredFileRef] = (),
) -> OutboxMessage:
    """Queue an e-mail to the account's address, in its language, greeting it by name."""
    return await enqueue_email(
        session,
        to=account.email,
        template=template,
        language=account.language,
        params={"name": account.name, **params},
        now=now,
        settings=settings,
        account_id=account.id,
        attachments=attachments,
    )


async def enqueue_letter(
    session: AsyncSession,
    *,
    addressee: str,
    address_lines: list[str],
    template: str,
    language: str,
    params: dict[str, object],
    now: datetime,
    settings: Settings,
    account_id: int | None = None,
    document: StoredFileRef | None = None,
) -> OutboxMessage:
    """Queue a letter to the given address (read by the caller at this moment).

    Without `document` the letter is the template's text, rendered when sent; with it the
    letter is that stored PDF, sent as is (an invoice)."""
    message = _queue(
        session,
        channel=Channel.POST,
        recipient=addressee,
        address="\n".join(address_lines),
        template=template,
        language=language,
        params=params,
        now=now,
        settings=settings,
        account_id=account_id,
    )
    if document is not None:
        message.file_id = document.id
    return message


async def remove_sent(deps: Deps, *, now: datetime) -> int:
    """Sent messages (their recipients and addresses) are kept only for their period."""
    before = now - timedelta(days=deps.settings.retention_sent_mail_days)
    async with deps.db.write() as session:
        result = await session.execute(
            delete(OutboxMessage).where(col(OutboxMessage.sent_at) < before)
        )
        await session.commit()
    return int(cast(CursorResult[Any], result).rowcount or 0)
