"""Queue mails and letters inside the caller's transaction (the outbox pattern)."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from gql.mail.sealing import seal
from gql.mail.templates import render
from gql.models.accounts import Account
from gql.models.outbox import OutboxMessage
from gql.models.register import Company
from gql.settings import Settings


def _message_id(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "toegang.localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


def _queue(
    session: AsyncSession,
    *,
    channel: str,
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
        body=seal(body, secret_key=settings.secret_key),
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
) -> OutboxMessage:
    """Queue an e-mail; it is sent only if the surrounding transaction commits."""
    return _queue(
        session,
        channel="EMAIL",
        recipient=to,
        address="",
        template=template,
        language=language,
        params=params,
        now=now,
        settings=settings,
        account_id=account_id,
    )


async def mail_account(
    session: AsyncSession,
    *,
    account: Account,
    template: str,
    params: dict[str, object],
    now: datetime,
    settings: Settings,
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
    )


def postal_address_lines(company: Company) -> list[str]:
    """The registered postal address, or the visiting address when there is none."""
    if company.postal_code and company.postal_city:
        street = " ".join(p for p in (company.postal_street, company.postal_house_number) if p)
        lines = [street] if street else []
        return [company.name, *lines, f"{company.postal_code} {company.postal_city}"]
    return [
        company.name,
        f"{company.visiting_street} {company.visiting_house_number}",
        f"{company.visiting_postal_code} {company.visiting_city}",
    ]


async def enqueue_letter(
    session: AsyncSession,
    *,
    addressee: str,
    company: Company,
    template: str,
    language: str,
    params: dict[str, object],
    now: datetime,
    settings: Settings,
    account_id: int | None = None,
) -> OutboxMessage:
    """Queue a letter to the company's registered address as it is at this moment."""
    return _queue(
        session,
        channel="POST",
        recipient=addressee,
        address="\n".join(postal_address_lines(company)),
        template=template,
        language=language,
        params=params,
        now=now,
        settings=settings,
        account_id=account_id,
    )
