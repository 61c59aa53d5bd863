"""The staff audit trail: who did what, when and from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gql.models.security import AuditEvent
from gql.services.deps import Caller


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
