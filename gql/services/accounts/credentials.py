"""Changing a password: the rules, ending other sessions, voiding old links, confirming."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.accounts import Account, OneTimeToken
from gql.services.accounts import (  # noqa: F401
    access_codes,
    device_sessions,
    mails,
    sessions,
    texts,
)
from gql.services.accounts.accounts import AccountView, view_of
from gql.services.accounts.passwords import check_new_password
from gql.services.shared import outbox, throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    InvalidInputError,
    Problem,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import format_moment


@raises(InvalidInputError)
async def change_password(
    deps: Deps, *, caller: Caller, current_password: str, new_password: str
) -> AccountView:
    """Set a new password after checking the current one; every other session ends."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
    if account is None:
        raise UnauthenticatedError()
    problems = Problems()
    if not current_password:
        problems.add("currentPassword", "required")
    await check_new_password(problems, new_password, field="newPassword", holder=account)
    if current_password and current_password == new_password:
        problems.add("newPassword", "password_same")
    problems.raise_if_any()
    code_key, pair_key = throttle.sign_in_keys(
        deps, access_code=account.access_code, client_ip=caller.client_ip
    )
    now = deps.clock.now()
    async with deps.db.write() as session:
        hit_id = await throttle.claim_sign_in_attempt(
            session, code_key=code_key, pair_key=pair_key, now=now
        )
        # Committed before the hash: a wrong current password counts as a failed sign-in.
        await session.commit()
    if not await deps.hashing.verify(account.password_hash, current_password):
        raise InvalidInputError([Problem(("currentPassword",), "invalid_current_password")])
    new_hash = await deps.hashing.hash(new_password)
    async with deps.db.write() as session:
        await throttle.forgive_sign_in_attempt(session, hit_id=hit_id, pair_key=pair_key)
        await set_password(
            deps,
            session,
            account=account,
            password_hash=new_hash,
            now=now,
            keep_session_id=caller.session_id,
        )
        await session.commit()
    return view_of(account)


async def set_password(
    deps: Deps,
    session: AsyncSession,
    *,
    account: Account,
    password_hash: str,
    now: datetime,
    keep_session_id: int | None,
) -> None:
    """Store a new hash, end the other sessions and chains, and mail a 'was this you?'
    confirmation. A device that changes its password keeps its chain, whose 30 days restart."""
    await session.execute(
        update(Account)
        .where(col(Account.id) == account.id)
        .values(password_hash=password_hash, password_changed_at=now)
    )
    assert account.id is not None
    await sessions.end_all(session, account_id=account.id, now=now, keep_session_id=keep_session_id)
    if keep_session_id is not None:
        await device_sessions.restart(session, session_id=keep_session_id, now=now)
    await revoke_tokens(session, account_id=account.id, now=now)
    await outbox.mail_account(
        session,
        account=account,
        template="password_changed",
        params={
            "masked_code": access_codes.masked(account.access_code),
            "at": format_moment(now, account.language),
        },
        now=now,
        settings=deps.settings,
    )


async def revoke_tokens(session: AsyncSession, *, account_id: int, now: datetime) -> None:
    """Spend every unused reset and new-code token: a changed credential voids older links."""
    await session.execute(
        update(OneTimeToken)
        .where(col(OneTimeToken.account_id) == account_id, col(OneTimeToken.used_at).is_(None))
        .values(used_at=now)
    )
