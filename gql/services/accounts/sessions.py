"""Server-side sessions for cookies and bearer tokens alike (SPEC §6: 30 min idle, 12 h)."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql.db import Database
from gql.models.accounts import Account, AuthSession, SessionKind, Usage
from gql.reader import Read
from gql.services.shared.deps import sha256_hex

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, so reads stay reads.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionAccount:
    """The account's own columns, read with its session: `viewer` needs no second query."""

    access_code: str
    name: str
    email: str
    kvk_number: str | None
    is_main_user: bool


@dataclass(frozen=True, slots=True)
class SessionInfo:
    session_id: int
    account_id: int
    usage: Usage
    expires_at: datetime
    account: SessionAccount


def client_network(address: str) -> str:
    """Only the network of a client address is kept: IPv4 /24, IPv6 /48 (no host)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


async def start(
    session: AsyncSession, *, account_id: int, kind: SessionKind, now: datetime, client_ip: str
) -> tuple[str, datetime]:
    """A new session; returns the token (256 random bits) and when it expires at the latest."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=sha256_hex(token),
            account_id=account_id,
            kind=kind,
            created_at=now,
            last_seen_at=now,
            client_ip=client_network(client_ip),
        )
    )
    return token, now + ABSOLUTE_TIMEOUT


# Built once: the session with its account's columns, if neither ended nor deactivated.
_LOOKUP = Read(
    select(
        AuthSession.id,
        AuthSession.account_id,
        AuthSession.created_at,
        AuthSession.last_seen_at,
        Account.usage,
        Account.access_code,
        Account.name,
        Account.email,
        Account.kvk_number,
        Account.is_main_user,
    )
    .join(Account, Account.id == AuthSession.account_id)
    .where(
        AuthSession.token_hash == bindparam("token_hash"),
        AuthSession.ended_at.is_(None),  # type: ignore[union-attr]
        Account.active.is_(True),  # type: ignore[attr-defined]
    )
)


async def resolve(db: Database, *, token: str, now: datetime) -> SessionInfo | None:
    """The live session for `token`, or None when unknown, ended, idle or too old."""
    if not token or len(token) > 100:
        return None
    # One statement on the read connection: this runs on every signed-in request.
    row = await db.reader.first(_LOOKUP, token_hash=sha256_hex(token))
    if row is None:
        return None
    session_id, account_id, created_at, last_seen_at, usage = row[:5]
    if now >= created_at + ABSOLUTE_TIMEOUT or now >= last_seen_at + IDLE_TIMEOUT:
        return None
    if now - last_seen_at >= TOUCH_INTERVAL:
        last_seen_at = now
        async with db.write() as session:
            await session.execute(
                update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=now)
            )
            await session.commit()
    # From what is stored: between touches the idle end does not move with every request.
    expires_at = min(created_at + ABSOLUTE_TIMEOUT, last_seen_at + IDLE_TIMEOUT)
    return SessionInfo(session_id, account_id, Usage(usage), expires_at, SessionAccount(*row[5:]))


async def end(session: AsyncSession, *, session_id: int, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))  # type: ignore[union-attr]
        .values(ended_at=now)
    )


async def end_all(
    session: AsyncSession, *, account_id: int, now: datetime, keep_session_id: int | None = None
) -> None:
    """End every session of the account (except, optionally, the one making the change)."""
    stmt = update(AuthSession).where(
        AuthSession.account_id == account_id,
        AuthSession.ended_at.is_(None),  # type: ignore[union-attr]
    )
    if keep_session_id is not None:
        stmt = stmt.where(AuthSession.id != keep_session_id)
    await session.execute(stmt.values(ended_at=now))


async def log_out(db: Database, *, session_id: int, now: datetime) -> None:
    """End this session server side, so its cookie or token never works again."""
    async with db.write() as session:
        await end(session, session_id=session_id, now=now)
        await session.commit()
