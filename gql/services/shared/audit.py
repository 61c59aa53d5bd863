"""The staff audit trail: who did what, when and from where (append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.audit import AuditEvent
from gql.services.shared.deps import Caller, Deps


async def record(
    session: AsyncSession, *, caller: Caller, action: str, subject: str, details: str, now: datetime
) -> None:
    """Append one event, in the same transaction as the action itself."""
    assert caller.account_id is not None
    session.add(
        AuditEvent(
            actor_id=caller.account_id,
            action=action,
            subject=subject,
            details=details[:2000],
            at=now,
            client_ip=caller.client_ip,
            request_id=caller.request_id,
        )
    )


async def list_events(deps: Deps, *, before_id: int | None, limit: int) -> list[AuditEvent]:
    """The trail newest first, `limit` events before `before_id`."""
    async with deps.db.read() as session:
        query = select(AuditEvent)
        if before_id is not None:
            query = query.where(col(AuditEvent.id) < before_id)
        query = query.order_by(col(AuditEvent.id).desc()).limit(limit)
        return list((await session.execute(query)).scalars())
