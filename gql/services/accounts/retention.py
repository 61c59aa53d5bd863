"""How long the accounts domain keeps personal data it no longer needs (the retention job)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, or_, select, update
from sqlmodel import col

from gql.models.accounts import (
    AccessCodeRequest,
    AuthSession,
    DeviceToken,
    OneTimeToken,
    RequestStatus,
    SessionKind,
)
from gql.services.accounts.sessions import client_network
from gql.services.shared.deps import Deps


async def apply_retention(deps: Deps, *, now: datetime) -> dict[str, int]:
    """Strip and remove what its period says, in one transaction; returns what it did."""
    settings = deps.settings
    decided_before = now - timedelta(days=settings.retention_decided_request_days)
    tokens_before = now - timedelta(days=settings.retention_used_token_days)
    sessions_before = now - timedelta(days=settings.retention_ended_session_days)
    done: dict[str, int] = {}
    async with deps.db.write() as session:
        done["requests stripped"] = _count(
            await session.execute(
                update(AccessCodeRequest)
                .where(
                    col(AccessCodeRequest.status) != RequestStatus.PENDING,
                    col(AccessCodeRequest.decided_at) < decided_before,
                    or_(
                        col(AccessCodeRequest.mandate_iban).is_not(None),
                        col(AccessCodeRequest.mandate_account_holder).is_not(None),
                        col(AccessCodeRequest.rejection_reason).is_not(None),
                    ),
                )
                .values(mandate_iban=None, mandate_account_holder=None, rejection_reason=None)
            )
        )
        done["tokens removed"] = _count(
            await session.execute(
                delete(OneTimeToken).where(
                    or_(
                        col(OneTimeToken.used_at) < tokens_before,
                        col(OneTimeToken.expires_at) < tokens_before,
                    )
                )
            )
        )
        # A device session's used refresh-token hashes (its reuse detection) stay as long as
        # the chain lives, whatever the periods: only an ended or expired chain counts.
        removable = or_(
            col(AuthSession.ended_at) < sessions_before,
            and_(
                AuthSession.kind == SessionKind.COOKIE,
                col(AuthSession.last_seen_at) < sessions_before,
            ),
            and_(
                AuthSession.kind == SessionKind.TOKEN,
                or_(
                    col(AuthSession.authenticated_at)
                    < sessions_before - timedelta(days=settings.device_session_days),
                    col(AuthSession.refreshed_at)
                    < sessions_before - timedelta(days=settings.device_session_idle_days),
                ),
            ),
        )
        done["device tokens removed"] = _count(
            await session.execute(
                delete(DeviceToken).where(
                    col(DeviceToken.session_id).in_(select(AuthSession.id).where(removable))
                )
            )
        )
        done["sessions removed"] = _count(
            await session.execute(delete(AuthSession).where(removable))
        )
        # Sessions made before addresses were cut to networks.
        rows = await session.execute(
            select(AuthSession.id, AuthSession.client_ip).where(
                col(AuthSession.client_ip).not_like("%/%"), col(AuthSession.client_ip) != ""
            )
        )
        for session_id, address in rows.all():
            await session.execute(
                update(AuthSession)
                .where(col(AuthSession.id) == session_id)
                .values(client_ip=client_network(address))
            )
        await session.commit()
    return done


def _count(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)
