"""Throttling on counted events in the database, so all app processes share the counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.throttle import ThrottleHit
from gql.services.shared.deps import Deps
from gql.services.shared.errors import RateLimitedError

SIGN_IN_CODE_IP = "signin:code+ip"
SIGN_IN_CODE = "signin:code"
SIGN_IN_HOURLY_CAP = 100
# Failures for one code from one address before delays start, and the longest delay.
SIGN_IN_FREE_FAILURES = 3
SIGN_IN_MAX_DELAY = timedelta(minutes=15)

MAIL_TARGET = "mail:target"
MAIL_CLIENT = "mail:client"
MAIL_PER_TARGET_PER_HOUR = 5
MAIL_PER_CLIENT_PER_HOUR = 30

HOUR = timedelta(hours=1)

# Failed refreshes of device sessions, per client address: load protection only. Refresh
# tokens are 256 random bits (nothing to guess), carrier-grade NAT puts many honest phones
# behind one address, and a valid refresh token is never checked against this count; it
# never feeds the sign-in delays either.
REFRESH_FAILED = "refresh:failed"
REFRESH_FAILURES_PER_WINDOW = 300
REFRESH_WINDOW = timedelta(minutes=10)


async def _window(
    session: AsyncSession, *, bucket: str, key: str, since: datetime
) -> tuple[int, datetime | None, datetime | None]:
    row = (
        await session.execute(
            select(func.count(), func.min(ThrottleHit.at), func.max(ThrottleHit.at)).where(
                ThrottleHit.bucket == bucket,
                ThrottleHit.key == key,
                # Strictly after: at `first + HOUR` (the retryAfter we give) the first hit is out.
                ThrottleHit.at > since,
            )
        )
    ).one()
    return int(row[0]), row[1], row[2]


async def record(session: AsyncSession, *, bucket: str, key: str, now: datetime) -> None:
    """Count one event."""
    session.add(ThrottleHit(bucket=bucket, key=key, at=now))


async def clear(session: AsyncSession, *, bucket: str, key: str) -> None:
    await session.execute(
        delete(ThrottleHit).where(ThrottleHit.bucket == bucket, ThrottleHit.key == key)
    )


def sign_in_keys(deps: Deps, *, access_code: str, client_ip: str) -> tuple[str, str]:
    """The throttle keys of a password check: per code, and per code and address together."""
    return (
        deps.keyed_hash("code:" + access_code),
        deps.keyed_hash(f"code:{access_code}|ip:{client_ip}"),
    )


def sign_in_delay(failures: int) -> timedelta:
    """Growing delay after the free failures: 1 s, 2 s, 4 s, ... up to 15 minutes."""
    if failures < SIGN_IN_FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - SIGN_IN_FREE_FAILURES)), SIGN_IN_MAX_DELAY)


async def check_sign_in(
    session: AsyncSession, *, code_key: str, pair_key: str, now: datetime
) -> None:
    """Refuse before any hash is computed when this code (from this address) failed too often."""
    count, _, last = await _window(session, bucket=SIGN_IN_CODE_IP, key=pair_key, since=now - HOUR)
    if last is not None and now < last + sign_in_delay(count):
        raise RateLimitedError(retry_after=last + sign_in_delay(count))
    count, first, _ = await _window(session, bucket=SIGN_IN_CODE, key=code_key, since=now - HOUR)
    if count >= SIGN_IN_HOURLY_CAP and first is not None:
        raise RateLimitedError(retry_after=first + HOUR)


async def claim_sign_in_attempt(
    session: AsyncSession, *, code_key: str, pair_key: str, now: datetime
) -> int:
    """Check, then count this attempt as a failure before any hash is computed.

    Check and count share one write transaction (serialized per code), so concurrent
    guesses see each other and cannot all slip past the delays and the hourly cap. A
    success takes the count back with `forgive_sign_in_attempt`. Returns the hit's id.
    """
    await _serialize(session, code_key)
    await check_sign_in(session, code_key=code_key, pair_key=pair_key, now=now)
    hit = ThrottleHit(bucket=SIGN_IN_CODE, key=code_key, at=now)
    session.add(ThrottleHit(bucket=SIGN_IN_CODE_IP, key=pair_key, at=now))
    session.add(hit)
    await session.flush()
    assert hit.id is not None
    return hit.id


async def forgive_sign_in_attempt(session: AsyncSession, *, hit_id: int, pair_key: str) -> None:
    """A success: its attempt was no failure, and this code starts afresh from this address."""
    await session.execute(delete(ThrottleHit).where(col(ThrottleHit.id) == hit_id))
    await clear(session, bucket=SIGN_IN_CODE_IP, key=pair_key)


async def check_refresh_failures(
    session: AsyncSession, deps: Deps, *, client_ip: str, now: datetime
) -> None:
    """Refuse (RATE_LIMITED) an unknown refresh token from an address with too many failures."""
    key = deps.keyed_hash("refresh-ip:" + client_ip)
    count, first, _ = await _window(
        session, bucket=REFRESH_FAILED, key=key, since=now - REFRESH_WINDOW
    )
    if count >= REFRESH_FAILURES_PER_WINDOW and first is not None:
        raise RateLimitedError(retry_after=first + REFRESH_WINDOW)


async def record_refresh_failure(
    session: AsyncSession, deps: Deps, *, client_ip: str, now: datetime
) -> None:
    """Count one failed refresh from this address."""
    key = deps.keyed_hash("refresh-ip:" + client_ip)
    await record(session, bucket=REFRESH_FAILED, key=key, now=now)


async def hit_mail_limits(
    session: AsyncSession,
    deps: Deps,
    *,
    target: str,
    client_ip: str,
    quiet_at_target_limit: bool = False,
) -> bool:
    """Count a mail-sending request; False when its target had enough mail this hour.

    A client over its limit is refused (RATE_LIMITED). A target over its limit is refused
    too, unless `quiet_at_target_limit`: then the caller answers as usual and sends nothing,
    so nobody can lock another person out of the recovery mails by asking on their behalf.
    Keys are HMACs: the table never holds an address or a code as such. An e-mail target is
    its `mailbox_key`, so '+tag' variants of one address share its limit.
    """
    target_key, client_key = deps.keyed_hash(target), deps.keyed_hash(client_ip)
    now = deps.clock.now()
    await _serialize(session, *sorted((target_key, client_key)))
    count, first, _ = await _window(session, bucket=MAIL_CLIENT, key=client_key, since=now - HOUR)
    if count >= MAIL_PER_CLIENT_PER_HOUR and first is not None:
        raise RateLimitedError(retry_after=first + HOUR)
    await record(session, bucket=MAIL_CLIENT, key=client_key, now=now)
    count, first, _ = await _window(session, bucket=MAIL_TARGET, key=target_key, since=now - HOUR)
    if count >= MAIL_PER_TARGET_PER_HOUR and first is not None:
        if quiet_at_target_limit:
            return False
        raise RateLimitedError(retry_after=first + HOUR)
    await record(session, bucket=MAIL_TARGET, key=target_key, now=now)
    return True


async def _serialize(session: AsyncSession, *keys: str) -> None:
    """Make counting for these keys one-at-a-time until the transaction ends.

    SQLite's BEGIN IMMEDIATE already serializes writers; on PostgreSQL (READ COMMITTED)
    concurrent transactions would not see each other's uncommitted hits, so each key takes
    a transaction-scoped advisory lock (keys are hex HMACs; always taken in sorted order).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": int(key[:15], 16)}
        )
