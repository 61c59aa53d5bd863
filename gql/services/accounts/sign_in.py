"""Signing in (with a second factor for staff) and out."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import pyotp
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.keys import Purpose
from gql.models.accounts import Account, SessionKind, Usage
from gql.services.accounts import (  # noqa: F401  (registers texts)
    access_codes,
    device_sessions,
    sessions,
    texts,
)
from gql.services.accounts.accounts import AccountView, view_of
from gql.services.shared import throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    InvalidCredentialsError,
    InvalidInputError,
    Problem,
    Problems,
    UnauthenticatedError,
    raises,
)


@dataclass(frozen=True, slots=True)
class SignedIn:
    #: A cookie session's token, or a device session's access token.
    token: str
    #: The session's absolute end (a device session: unless refreshed before).
    expires_at: datetime
    #: When the token stops working if nothing happens: a cookie's idle end (or the absolute
    #: end when sooner); a device session's access token's end.
    idle_expires_at: datetime
    account: AccountView
    #: Device sessions only.
    refresh_token: str | None = None


@raises(InvalidCredentialsError, InvalidInputError)
async def log_in(
    deps: Deps,
    *,
    caller: Caller,
    access_code: str,
    password: str,
    totp: str | None,
    kind: SessionKind,
    device_name: str | None = None,
) -> SignedIn:
    """Check code, password (and TOTP for staff); start a browser or device session.

    Known and unknown codes cost the same: one argon2 verification each, and the same
    answer. Throttling is checked before any hash is computed. A session the client
    presented while signing in again is ended (a device session: its whole chain). Staff
    cannot start a device session: their second factor asks for a sign-in every day.
    """
    problems = Problems()
    name = device_sessions.check_device_name(device_name)
    if kind is SessionKind.TOKEN and name is None:
        problems.add("deviceName", "device_name_invalid")
    if not access_code.strip():
        problems.add("accessCode", "required")
    if not password:
        problems.add("password", "required")
    if totp is not None and not (totp.isdigit() and len(totp) == 6):
        problems.add("totp", "totp_format")
    problems.raise_if_any()
    code = access_codes.normalize(access_code)[:32]
    code_key, pair_key = throttle.sign_in_keys(deps, access_code=code, client_ip=caller.client_ip)
    now = deps.clock.now()
    async with deps.db.write() as session:
        hit_id = await throttle.claim_sign_in_attempt(
            session, code_key=code_key, pair_key=pair_key, now=now
        )
        account = (
            await session.execute(
                select(Account).where(Account.access_code == code, col(Account.active).is_(True))
            )
        ).scalar_one_or_none()
        # Committed before the hash: the attempt counts as a failure until it is forgiven.
        await session.commit()
    totp_step: int | None = None
    if account is None:
        await deps.hashing.verify_dummy(password)
        ok = False
    else:
        ok = await deps.hashing.verify(account.password_hash, password)
        if ok and account.usage == Usage.STAFF:
            totp_step = _totp_matching_step(deps, account, totp, now)
            ok = totp_step is not None
    if not ok or account is None or account.id is None:
        raise InvalidCredentialsError()
    values: dict[str, object] = {}
    if deps.hashing.needs_rehash(account.password_hash):
        # Hashed before the write transaction, so no writer waits for argon2.
        values["password_hash"] = await deps.hashing.hash(password)
    async with deps.db.write() as session:
        if totp_step is not None and not await _use_totp_step(session, account.id, totp_step):
            raise InvalidCredentialsError()
        if values:
            await session.execute(update(Account).where(Account.id == account.id).values(**values))
        await throttle.forgive_sign_in_attempt(session, hit_id=hit_id, pair_key=pair_key)
        if kind is SessionKind.TOKEN and account.usage == Usage.STAFF:
            # Told only after the password and TOTP matched (nothing about unknown codes),
            # and no failure counted.
            await session.commit()
            raise InvalidInputError([Problem(("session",), "device_session_staff")])
        if caller.session_id is not None:
            # The client replaces the session it presented: the old token must not linger.
            await sessions.end(session, session_id=caller.session_id, now=now)
        if kind is SessionKind.TOKEN:
            assert name is not None
            pair = await device_sessions.start(
                session,
                deps.settings,
                account_id=account.id,
                device_name=name,
                caller=caller,
                now=now,
            )
            await session.commit()
            return SignedIn(
                token=pair.access_token,
                expires_at=pair.session_expires_at,
                idle_expires_at=pair.access_expires_at,
                account=view_of(account),
                refresh_token=pair.refresh_token,
            )
        token, expires_at = await sessions.start(
            session, account_id=account.id, now=now, caller=caller
        )
        await session.commit()
    return SignedIn(
        token=token,
        expires_at=expires_at,
        idle_expires_at=min(expires_at, now + sessions.IDLE_TIMEOUT),
        account=view_of(account),
    )


def _totp_step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def _totp_matching_step(
    deps: Deps, account: Account, totp: str | None, now: datetime
) -> int | None:
    """RFC 6238: the step whose code `totp` is (one step of drift either way), if unused.

    The secret is opened only here, and codes are compared in constant time."""
    if not totp or not account.totp_secret:
        return None
    generator = pyotp.TOTP(deps.keys.unseal(Purpose.TOTP_SECRET, account.totp_secret))
    step = _totp_step(now)
    for candidate in (step - 1, step, step + 1):
        if account.totp_last_step is not None and candidate <= account.totp_last_step:
            continue
        if hmac.compare_digest(generator.at(candidate * 30), totp):
            return candidate
    return None


async def _use_totp_step(session: AsyncSession, account_id: int, step: int) -> bool:
    """Record `step` as used unless it (or a later one) already is: of two sign-ins racing
    with one code only one gets through, and a code of the next step cannot come back."""
    last = col(Account.totp_last_step)
    result = await session.execute(
        update(Account)
        .where(col(Account.id) == account_id, or_(last.is_(None), last < step))
        .values(totp_last_step=step)
    )
    return cast(CursorResult[Any], result).rowcount == 1


@raises()
async def log_out(deps: Deps, *, caller: Caller) -> None:
    """End the caller's session server side."""
    if caller.session_id is None:
        raise UnauthenticatedError()
    await sessions.log_out(deps.db, session_id=caller.session_id, now=deps.clock.now())
