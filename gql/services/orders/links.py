"""The download link of an anonymous purchase: e-mailed once its extract exists.

The token has 256 random bits and is kept only as its SHA-256; it works until its lifetime
ends and for a number of downloads (settings). Each download takes one by a conditional
UPDATE, so concurrent downloads never take more than there are. A missing, expired or
used-up link answers exactly like a missing document.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.keys import Purpose
from gql.models.orders import DownloadLink, Order
from gql.models.register import Company
from gql.services.orders import texts  # noqa: F401  (registers texts and mails)
from gql.services.shared import outbox
from gql.services.shared.deps import Deps
from gql.services.shared.formatting import format_cents, format_moment

PATH = "/uittreksel/"
MAX_TOKEN_LENGTH = 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def seal_email(deps: Deps, email: str) -> str:
    return deps.keys.seal(Purpose.MAIL_BODY, email)


async def issue(
    session: AsyncSession, deps: Deps, *, order: Order, company: Company, now: datetime
) -> str:
    """Make the order's link and queue its mail, inside the delivering transaction."""
    assert order.id is not None and order.sealed_email is not None
    settings = deps.settings
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.extract_link_hours)
    session.add(
        DownloadLink(
            order_id=order.id,
            token_hash=token_hash(token),
            expires_at=expires,
            downloads_left=settings.extract_link_downloads,
            created_at=now,
        )
    )
    language = order.language
    await outbox.enqueue_email(
        session,
        to=deps.keys.unseal(Purpose.MAIL_BODY, order.sealed_email),
        template="certified_extract_ready",
        language=language,
        params={
            "amount": format_cents(order.price_cents, language),
            "company_name": company.name,
            "kvk_number": company.kvk_number,
            "link": f"{settings.public_url}{PATH}{token}",
            "expires_at": format_moment(expires, language),
            "downloads": settings.extract_link_downloads,
            "reference": order.reference,
        },
        now=now,
        settings=settings,
    )
    return token


async def take_download(deps: Deps, token: str) -> int | None:
    """The file of a valid link, one download taken; None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    now = deps.clock.now()
    async with deps.db.write() as session:
        taken: Any = await session.execute(
            update(DownloadLink)
            .where(
                col(DownloadLink.token_hash) == token_hash(token),
                col(DownloadLink.expires_at) > now,
                col(DownloadLink.downloads_left) > 0,
            )
            .values(downloads_left=col(DownloadLink.downloads_left) - 1)
            .returning(col(DownloadLink.order_id))
        )
        order_id = taken.scalar_one_or_none()
        file_id = None
        if order_id is not None:
            order = await session.get(Order, order_id)
            file_id = order.file_id if order else None
        await session.commit()
    return file_id
