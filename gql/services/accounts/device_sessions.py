"""Device sessions of mobile apps: short access tokens and refresh tokens that rotate.

After the OAuth 2.0 security BCP (RFC 9700 §4.14.2) and NIST SP 800-63B-4 (AAL1 up to 30
days between authentications):

- `logIn(session: TOKEN)` starts a chain: an access token (the bearer token, at most
  `access_token_minutes`) and a refresh token, each 256 random bits, only their SHA-256
  stored. The chain lives at most `device_session_days` after the password was entered and
  ends after `device_session_idle_days` without a refresh.
- `refresh_session` spends a refresh token for a new pair, in one write transaction under a
  row lock on the chain. The same token again within `refresh_grace_seconds` answers the
  same new pair (a retry after a lost answer, two parallel refreshes): the pair is kept
  sealed with the app's secret key for that long, never in plain text. After the grace it is
  reuse, the mark of a stolen token: the whole chain ends and one "was this you?" mail goes
  out (only the transaction that ends the chain sends it, so never two per chain).
- Unknown, used, ended and expired tokens get one neutral answer, InvalidToken. Failed
  refreshes are counted per client address apart from the sign-in throttle, only to shed
  load; a valid refresh token is never checked against that counter.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.keys import Purpose
from gql.models.accounts import Account, AuthSession, DeviceToken, SessionKind
from gql.reader import Read
from gql.services.accounts import access_codes, mails, texts  # noqa: F401  (registers)
from gql.services.accounts.sessions import client_network, device_ends, user_agent_label
from gql.services.shared import outbox, throttle
from gql.services.shared.deps import Caller, Deps, sha256_hex
from gql.services.shared.errors import InvalidTokenError, raises
from gql.services.shared.formatting import format_moment
from gql.settings import Settings

DEVICE_NAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    #: When the access token stops working (at most `access_token_minutes`).
    access_expires_at: datetime
    refresh_token: str
    #: When the device session ends unless refreshed before (and at the latest).
    session_expires_at: datetime


def check_device_name(device_name: str | None) -> str | None:
    """The device name as stored, or None when it breaks the rule (1 to 64 printable
    characters, a label for people, never an identifier)."""
    name = (device_name or "").strip()
    if not 1 <= len(name) <= DEVICE_NAME_LENGTH or not name.isprintable():
        return None
    return name


def _issue(
    session: AsyncSession,
    settings: Settings,
    *,
    session_id: int,
    authenticated_at: datetime,
    now: datetime,
) -> TokenPair:
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        DeviceToken(
            session_id=session_id,
            access_hash=sha256_hex(access),
            refresh_hash=sha256_hex(refresh),
            issued_at=now,
        )
    )
    ends = device_ends(settings, authenticated_at=authenticated_at, refreshed_at=now)
    return TokenPair(
        access_token=access,
        access_expires_at=min(now + timedelta(minutes=settings.access_token_minutes), ends),
        refresh_token=refresh,
        session_expires_at=ends,
    )


async def start(
    session: AsyncSession,
    settings: Settings,
    *,
    account_id: int,
    device_name: str,
    caller: Caller,
    now: datetime,
) -> TokenPair:
    """A new device session with its first token pair (the password was just entered)."""
    row = AuthSession(
        account_id=account_id,
        kind=SessionKind.TOKEN,
        created_at=now,
        last_seen_at=now,
        client_ip=client_network(caller.client_ip),
        device_name=device_name,
        user_agent=user_agent_label(caller.user_agent),
        authenticated_at=now,
        refreshed_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return _issue(session, settings, session_id=row.id, authenticated_at=now, now=now)


# One statement on the read connection: whether the refresh token was ever issued. Only an
# unknown token is checked against the failed-refresh counter, before any write.
_KNOWN = Read(select(DeviceToken.id).where(DeviceToken.refresh_hash == bindparam("refresh_hash")))


def _seal(deps: Deps, pair: TokenPair) -> str:
    return deps.keys.seal(
        Purpose.REFRESH_GRACE,
        json.dumps(
            [
                pair.access_token,
                pair.access_expires_at.isoformat(),
                pair.refresh_token,
                pair.session_expires_at.isoformat(),
            ]
        ),
    )


def _unseal(deps: Deps, sealed: str) -> TokenPair:
    access, access_expires, refresh, session_expires = json.loads(
        deps.keys.unseal(Purpose.REFRESH_GRACE, sealed)
    )
    return TokenPair(
        access,
        datetime.fromisoformat(access_expires),
        refresh,
        datetime.fromisoformat(session_expires),
    )


@raises(InvalidTokenError)
async def refresh_session(deps: Deps, *, caller: Caller, refresh_token: str) -> TokenPair:
    """Spend a refresh token for a new access and refresh token (see the module's text)."""
    now = deps.clock.now()
    refresh_hash = sha256_hex(refresh_token) if 0 < len(refresh_token) <= 100 else ""
    if not refresh_hash or await deps.db.reader.first(_KNOWN, refresh_hash=refresh_hash) is None:
        await _failed(deps, caller=caller, now=now)
    grace = timedelta(seconds=deps.settings.refresh_grace_seconds)
    async with deps.db.write() as session:
        # The chain's row and the token's, locked (PostgreSQL; SQLite's writer is alone
        # anyway): of parallel refreshes with one token, one rotates, the others wait and
        # then see it used within the grace period.
        found = (
            await session.execute(
                select(DeviceToken, AuthSession, Account.active)
                .join(AuthSession, col(AuthSession.id) == DeviceToken.session_id)
                .join(Account, col(Account.id) == AuthSession.account_id)
                .where(DeviceToken.refresh_hash == refresh_hash)
                .with_for_update(of=[DeviceToken, AuthSession])  # type: ignore[list-item]
            )
        ).one_or_none()
        if found is None:
            pair = None  # removed between the two statements (the retention job)
        else:
            token, chain, active = found
            pair = await _spend(
                session,
                deps,
                caller=caller,
                token=token,
                chain=chain,
                active=active,
                grace=grace,
                now=now,
            )
        if pair is None:
            await throttle.record_refresh_failure(
                session, deps, client_ip=caller.client_ip, now=now
            )
        await session.commit()
    if pair is None:
        raise InvalidTokenError(field_path=("refreshToken",), message_key="session_ended")
    return pair


async def _spend(
    session: AsyncSession,
    deps: Deps,
    *,
    caller: Caller,
    token: DeviceToken,
    chain: AuthSession,
    active: bool,
    grace: timedelta,
    now: datetime,
) -> TokenPair | None:
    """Rotate, answer again within the grace period, or end the chain on reuse; None when
    the answer is InvalidToken."""
    assert chain.id is not None and chain.authenticated_at is not None
    assert chain.refreshed_at is not None
    ends = device_ends(
        deps.settings, authenticated_at=chain.authenticated_at, refreshed_at=chain.refreshed_at
    )
    if chain.ended_at is not None or now >= ends or not active:
        return None
    if token.used_at is None:
        pair = _issue(
            session,
            deps.settings,
            session_id=chain.id,
            authenticated_at=chain.authenticated_at,
            now=now,
        )
        # Sealed successors past their grace period are of no more use: wiped.
        await session.execute(
            update(DeviceToken)
            .where(
                col(DeviceToken.session_id) == chain.id,
                col(DeviceToken.successor).is_not(None),
                col(DeviceToken.used_at) < now - grace,
            )
            .values(successor=None)
        )
        await session.execute(
            update(DeviceToken)
            .where(col(DeviceToken.id) == token.id)
            .values(used_at=now, successor=_seal(deps, pair))
        )
        await session.execute(
            update(AuthSession)
            .where(col(AuthSession.id) == chain.id)
            .values(refreshed_at=now, last_seen_at=now, client_ip=client_network(caller.client_ip))
        )
        return pair
    if now - token.used_at <= grace and token.successor is not None:
        return _unseal(deps, token.successor)
    # Reuse after the grace period: someone else holds a copy of this chain's tokens.
    ended = await session.execute(
        update(AuthSession)
        .where(col(AuthSession.id) == chain.id, col(AuthSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    if cast(CursorResult[Any], ended).rowcount == 1:
        account = await session.get(Account, chain.account_id)
        assert account is not None
        await outbox.mail_account(
            session,
            account=account,
            template="device_session_reused",
            params={
                "device_name": chain.device_name or "",
                "masked_code": access_codes.masked(account.access_code),
                "at": format_moment(now, account.language),
            },
            now=now,
            settings=deps.settings,
        )
    return None


async def _failed(deps: Deps, *, caller: Caller, now: datetime) -> None:
    """An unknown refresh token: counted per client address (RATE_LIMITED over the limit,
    without a write), then InvalidToken."""
    async with deps.db.read() as session:
        await throttle.check_refresh_failures(session, deps, client_ip=caller.client_ip, now=now)
    async with deps.db.write() as session:
        await throttle.record_refresh_failure(session, deps, client_ip=caller.client_ip, now=now)
        await session.commit()
    raise InvalidTokenError(field_path=("refreshToken",), message_key="session_ended")


async def restart(session: AsyncSession, *, session_id: int, now: datetime) -> None:
    """The password was entered again on this device: its 30 days start afresh."""
    await session.execute(
        update(AuthSession)
        .where(col(AuthSession.id) == session_id, AuthSession.kind == SessionKind.TOKEN)
        .values(authenticated_at=now)
    )
