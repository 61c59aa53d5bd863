"""Server-side sessions: browser cookies and the device sessions of mobile apps.

A cookie session (SPEC §6) ends after 30 minutes idle and 12 hours in all. A device session
(`device_sessions.py`) is a chain of short access tokens and rotating refresh tokens. Both
are rows of `auth_session`; every end is a column of that row, read on every request, so it
holds at once for every app process (nothing is cached).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.db import Database
from gql.models.accounts import Account, AuthSession, DeviceToken, SessionKind, Usage
from gql.reader import Read
from gql.services.shared.deps import Caller, Deps, sha256_hex
from gql.services.shared.errors import (
    InvalidInputError,
    NotFoundError,
    Problem,
    UnauthenticatedError,
    raises,
)
from gql.settings import Settings

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, so reads stay reads.
TOUCH_INTERVAL = timedelta(seconds=60)
USER_AGENT_LENGTH = 200
CLIENT_MUTATION_ID_LENGTH = 100


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
    #: A cookie session: its idle or absolute end. A device session: its access token's end.
    expires_at: datetime
    account: SessionAccount


@dataclass(frozen=True, slots=True)
class SessionView:
    """One entry of the session list: what a person needs to recognise it, no more."""

    id: int
    kind: SessionKind
    device_name: str | None
    user_agent: str
    created_at: datetime
    last_used_at: datetime
    client_network: str
    current: bool


def client_network(address: str) -> str:
    """Only the network of a client address is kept: IPv4 /24, IPv6 /48 (no host)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def user_agent_label(user_agent: str) -> str:
    """The User-Agent as shown in the session list: printable, at most 200 characters."""
    return "".join(c for c in user_agent if c.isprintable())[:USER_AGENT_LENGTH]


def device_ends(
    settings: Settings, *, authenticated_at: datetime, refreshed_at: datetime
) -> datetime:
    """When a device session ends: 30 days after the password, 7 days after the last refresh."""
    return min(
        authenticated_at + timedelta(days=settings.device_session_days),
        refreshed_at + timedelta(days=settings.device_session_idle_days),
    )


async def start(
    session: AsyncSession, *, account_id: int, now: datetime, caller: Caller
) -> tuple[str, datetime]:
    """A new browser (cookie) session; returns the token (256 random bits) and its latest end."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=sha256_hex(token),
            account_id=account_id,
            kind=SessionKind.COOKIE,
            created_at=now,
            last_seen_at=now,
            client_ip=client_network(caller.client_ip),
            user_agent=user_agent_label(caller.user_agent),
        )
    )
    return token, now + ABSOLUTE_TIMEOUT


_ACCOUNT_COLUMNS = (
    Account.usage,
    Account.access_code,
    Account.name,
    Account.email,
    Account.kvk_number,
    Account.is_main_user,
)

# Built once, one statement each: the session with its account's columns, if neither ended
# nor deactivated. A cookie is a cookie session's token; a bearer token a device's access token.
_COOKIE_LOOKUP = Read(
    select(AuthSession.id, AuthSession.account_id, AuthSession.created_at, AuthSession.last_seen_at)
    .add_columns(*_ACCOUNT_COLUMNS)
    .join(Account, Account.id == AuthSession.account_id)
    .where(
        AuthSession.token_hash == bindparam("token_hash"),
        AuthSession.kind == SessionKind.COOKIE,
        col(AuthSession.ended_at).is_(None),
        col(Account.active).is_(True),
    )
)
_ACCESS_TOKEN_LOOKUP = Read(
    select(
        AuthSession.id,
        AuthSession.account_id,
        DeviceToken.issued_at,
        AuthSession.last_seen_at,
        AuthSession.authenticated_at,
        AuthSession.refreshed_at,
    )
    .add_columns(*_ACCOUNT_COLUMNS)
    .select_from(DeviceToken)
    .join(AuthSession, col(AuthSession.id) == DeviceToken.session_id)
    .join(Account, Account.id == AuthSession.account_id)
    .where(
        DeviceToken.access_hash == bindparam("token_hash"),
        col(AuthSession.ended_at).is_(None),
        col(Account.active).is_(True),
    )
)


async def resolve(deps: Deps, *, token: str, bearer: bool) -> SessionInfo | None:
    """The live session of a cookie (or, `bearer`, of an access token), or None when the
    token is unknown, ended, idle or too old."""
    if not token or len(token) > 100:
        return None
    now = deps.clock.now()
    # One statement on the read connection: this runs on every signed-in request.
    if bearer:
        row = await deps.db.reader.first(_ACCESS_TOKEN_LOOKUP, token_hash=sha256_hex(token))
        if row is None:
            return None
        session_id, account_id, issued_at, last_seen_at, authenticated_at, refreshed_at = row[:6]
        settings = deps.settings
        expires_at = min(
            issued_at + timedelta(minutes=settings.access_token_minutes),
            device_ends(settings, authenticated_at=authenticated_at, refreshed_at=refreshed_at),
        )
        if now >= expires_at:
            return None
        account_row = row[6:]
    else:
        row = await deps.db.reader.first(_COOKIE_LOOKUP, token_hash=sha256_hex(token))
        if row is None:
            return None
        session_id, account_id, created_at, last_seen_at = row[:4]
        if now >= created_at + ABSOLUTE_TIMEOUT or now >= last_seen_at + IDLE_TIMEOUT:
            return None
        account_row = row[4:]
    if now - last_seen_at >= TOUCH_INTERVAL:
        last_seen_at = now
        async with deps.db.write() as session:
            await session.execute(
                update(AuthSession)
                .where(col(AuthSession.id) == session_id)
                .values(last_seen_at=now)
            )
            await session.commit()
    if not bearer:
        # From what is stored: between touches the idle end does not move with every request.
        expires_at = min(created_at + ABSOLUTE_TIMEOUT, last_seen_at + IDLE_TIMEOUT)
    usage, *account = account_row
    return SessionInfo(session_id, account_id, Usage(usage), expires_at, SessionAccount(*account))


async def end(session: AsyncSession, *, session_id: int, now: datetime) -> bool:
    """End one session (a device session: its whole chain); False when it had ended."""
    result = await session.execute(
        update(AuthSession)
        .where(col(AuthSession.id) == session_id, col(AuthSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def end_all(
    session: AsyncSession, *, account_id: int, now: datetime, keep_session_id: int | None = None
) -> int:
    """End every session and device chain of the account (except, optionally, the one making
    the change); returns how many ended."""
    stmt = update(AuthSession).where(
        col(AuthSession.account_id) == account_id, col(AuthSession.ended_at).is_(None)
    )
    if keep_session_id is not None:
        stmt = stmt.where(col(AuthSession.id) != keep_session_id)
    result = await session.execute(stmt.values(ended_at=now))
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def log_out(db: Database, *, session_id: int, now: datetime) -> None:
    """End this session server side, so its cookie or tokens never work again."""
    async with db.write() as session:
        await end(session, session_id=session_id, now=now)
        await session.commit()


def _live(settings: Settings, now: datetime) -> Any:
    """SQL: the session has not ended and is within its limits."""
    return and_(
        col(AuthSession.ended_at).is_(None),
        or_(
            and_(
                AuthSession.kind == SessionKind.COOKIE,
                col(AuthSession.created_at) > now - ABSOLUTE_TIMEOUT,
                col(AuthSession.last_seen_at) > now - IDLE_TIMEOUT,
            ),
            and_(
                AuthSession.kind == SessionKind.TOKEN,
                col(AuthSession.authenticated_at)
                > now - timedelta(days=settings.device_session_days),
                col(AuthSession.refreshed_at)
                > now - timedelta(days=settings.device_session_idle_days),
            ),
        ),
    )


@raises()
async def list_sessions(
    deps: Deps, *, caller: Caller, before_id: int | None, limit: int
) -> list[SessionView]:
    """The caller's own live sessions, browser and device, newest first."""
    if caller.account_id is None or caller.session_id is None:
        raise UnauthenticatedError()
    now = deps.clock.now()
    stmt = select(AuthSession).where(
        col(AuthSession.account_id) == caller.account_id, _live(deps.settings, now)
    )
    if before_id is not None:
        stmt = stmt.where(col(AuthSession.id) < before_id)
    async with deps.db.read() as session:
        rows = (
            await session.execute(stmt.order_by(col(AuthSession.id).desc()).limit(limit))
        ).scalars()
        return [
            SessionView(
                id=row.id or 0,
                kind=row.kind,
                device_name=row.device_name,
                user_agent=row.user_agent,
                created_at=row.created_at,
                last_used_at=row.last_seen_at,
                client_network=row.client_ip,
                current=row.id == caller.session_id,
            )
            for row in rows
        ]


@raises(NotFoundError)
async def end_session(deps: Deps, *, caller: Caller, session_id: int) -> bool:
    """End one of the caller's own sessions (a device: its whole chain); another account's
    session, or one that has ended, is NotFound and stays as it is. True when it was the
    caller's own current session."""
    if caller.account_id is None or caller.session_id is None:
        raise UnauthenticatedError()
    now = deps.clock.now()
    async with deps.db.write() as session:
        result = await session.execute(
            update(AuthSession)
            .where(
                col(AuthSession.id) == session_id,
                col(AuthSession.account_id) == caller.account_id,
                _live(deps.settings, now),
            )
            .values(ended_at=now)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise NotFoundError(field_path=("sessionId",))
        await session.commit()
    return session_id == caller.session_id


@raises(InvalidInputError)
async def end_other_sessions(deps: Deps, *, caller: Caller, client_mutation_id: str | None) -> None:
    """End every session and device chain of the caller's account but the current one."""
    if caller.account_id is None or caller.session_id is None:
        raise UnauthenticatedError()
    if client_mutation_id is not None and len(client_mutation_id) > CLIENT_MUTATION_ID_LENGTH:
        # Echoed back: kept short like any other input.
        raise InvalidInputError(
            [Problem(("clientMutationId",), "too_long", {"maximum": CLIENT_MUTATION_ID_LENGTH})]
        )
    async with deps.db.write() as session:
        await end_all(
            session,
            account_id=caller.account_id,
            now=deps.clock.now(),
            keep_session_id=caller.session_id,
        )
        await session.commit()
