"""Forgotten password and lost access code: single-use, short-lived tokens sent by e-mail."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql import i18n
from gql.keys import InvalidToken, Purpose
from gql.models.accounts import Account, OneTimeToken, RecoveryRequest, TokenPurpose, Usage
from gql.models.outbox import Channel
from gql.services.accounts import access_codes, mails, sessions, texts  # noqa: F401  (registers texts)
from gql.services.accounts.accounts import new_unique_code
from gql.services.accounts.applications import deliver_access_code
from gql.services.accounts.credentials import revoke_tokens, set_password
from gql.services.accounts.passwords import check_new_password
from gql.services.shared import outbox, throttle
from gql.services.shared.deps import Caller, Deps, sha256_hex
from gql.services.shared.errors import InvalidInputError, InvalidTokenError, Problems, raises
from gql.services.shared.formatting import format_moment
from gql.services.shared.validation import (
    email_field,
    kvk_number_field,
    mailbox_key,
    normalize_email,
)

log = logging.getLogger("toegang.recovery")

RESET = TokenPurpose.PASSWORD_RESET
NEW_CODE = TokenPurpose.NEW_ACCESS_CODE
TOKEN_LIFETIME = timedelta(minutes=30)


async def _issue_token(
    session: AsyncSession, *, account_id: int, purpose: TokenPurpose, now: datetime
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            purpose=purpose,
            token_hash=sha256_hex(token),
            account_id=account_id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    return token


async def _consume_token(
    session: AsyncSession, *, token: str, purpose: TokenPurpose, now: datetime
) -> Account:
    """Mark the token used; exactly one of any number of concurrent redemptions wins."""
    token_hash = sha256_hex(token) if token else ""
    result = await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == token_hash,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),  # type: ignore[union-attr]
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken.account_id)
    )
    account_id = result.scalar_one_or_none()
    if account_id is None:
        raise InvalidTokenError(field_path=("token",))
    account = await session.get(Account, account_id)
    if account is None or not account.active:
        raise InvalidTokenError(field_path=("token",))
    return account


async def _may_mail(deps: Deps, session: AsyncSession, caller: Caller, target: str) -> bool:
    """Throttle per client (RATE_LIMITED) and per target (quietly: the same answer, no mail)."""
    return await throttle.hit_mail_limits(
        session, deps, target=target, client_ip=caller.client_ip, quiet_at_target_limit=True
    )


# Per purpose: the mail template and the path of the link in it.
_TOKEN_MAILS = {
    RESET: ("password_reset", "wachtwoord-herstellen"),
    NEW_CODE: ("new_access_code_confirm", "nieuwe-toegangscode"),
}


async def _send_token(
    deps: Deps, session: AsyncSession, *, account: Account, purpose: TokenPurpose, now: datetime
) -> None:
    """Issue a token and mail its link; the link carries the token after '#', never logged."""
    assert account.id is not None
    token = await _issue_token(session, account_id=account.id, purpose=purpose, now=now)
    template, path = _TOKEN_MAILS[purpose]
    await outbox.mail_account(
        session,
        account=account,
        template=template,
        params={
            "token": token,
            "link": f"{deps.settings.public_url}/{path}#token={token}",
            "minutes": int(TOKEN_LIFETIME.total_seconds() // 60),
        },
        now=now,
        settings=deps.settings,
    )


@raises(InvalidInputError)
async def request_password_reset(deps: Deps, *, caller: Caller, access_code: str) -> None:
    """Queue a reset request; the answer and the work are the same whether the code is known.

    The worker (`process_recovery_requests`) looks the account up and mails the link.
    """
    problems = Problems()
    if not access_code.strip():
        problems.add("accessCode", "required")
    problems.raise_if_any()
    code = access_codes.normalize(access_code)[:32]
    await _queue_request(deps, caller, purpose=RESET, target="reset:" + code, lookup={"code": code})


async def _queue_request(
    deps: Deps,
    caller: Caller,
    *,
    purpose: TokenPurpose,
    target: str,
    lookup: dict[str, str | None],
) -> None:
    now = deps.clock.now()
    async with deps.db.write() as session:
        if await _may_mail(deps, session, caller, target):
            sealed = deps.keys.seal(Purpose.RECOVERY_LOOKUP, json.dumps(lookup))
            session.add(RecoveryRequest(purpose=purpose, lookup=sealed, created_at=now))
        # Also when the target had its share of mail: the request is counted all the same.
        await session.commit()


async def process_recovery_requests(deps: Deps, *, limit: int = 20) -> int:
    """Handle queued recovery requests: find the accounts, issue tokens, queue the mails.

    One transaction per batch: a request is handled and removed together, exactly once, also
    with several workers (SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE on SQLite).
    """
    query = select(RecoveryRequest).order_by(col(RecoveryRequest.id)).limit(limit)
    if not deps.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    async with deps.db.write() as session:
        requests = list((await session.execute(query)).scalars())
        for request in requests:
            try:
                lookup = json.loads(deps.keys.unseal(Purpose.RECOVERY_LOOKUP, request.lookup))
            except InvalidToken:
                log.warning("recovery request %s unreadable (secret key changed?)", request.id)
            else:
                for account in await _matching_accounts(session, request.purpose, lookup):
                    await _send_token(
                        deps,
                        session,
                        account=account,
                        purpose=request.purpose,
                        now=deps.clock.now(),
                    )
            await session.delete(request)
        await session.commit()
    return len(requests)


async def _matching_accounts(
    session: AsyncSession, purpose: TokenPurpose, lookup: dict[str, str | None]
) -> list[Account]:
    """Active accounts a request is for; staff are managed from the command line only."""
    query = select(Account).where(col(Account.active).is_(True), Account.usage != Usage.STAFF)
    if purpose == RESET:
        query = query.where(Account.access_code == lookup["code"])
    elif lookup.get("kvk"):
        query = query.where(
            Account.email_normalized == lookup["email"],
            Account.usage == Usage.BUSINESS,
            Account.kvk_number == lookup["kvk"],
        )
    else:
        query = query.where(
            Account.email_normalized == lookup["email"], Account.usage == Usage.PRIVATE
        )
    return list((await session.execute(query)).scalars())


@raises(InvalidTokenError, InvalidInputError)
async def reset_password(deps: Deps, *, caller: Caller, token: str, new_password: str) -> None:
    """Set a new password with a reset token; every session of the account ends."""
    now = deps.clock.now()
    async with deps.db.read() as session:
        row = (
            await session.execute(
                select(Account)
                .join(OneTimeToken, OneTimeToken.account_id == Account.id)
                .where(
                    OneTimeToken.token_hash == sha256_hex(token or "-"),
                    OneTimeToken.purpose == RESET,
                    OneTimeToken.used_at.is_(None),  # type: ignore[union-attr]
                    OneTimeToken.expires_at > now,
                )
            )
        ).scalar_one_or_none()
    if row is None:
        raise InvalidTokenError(field_path=("token",))
    problems = Problems()
    await check_new_password(problems, new_password, field="newPassword", holder=row)
    problems.raise_if_any()
    password_hash = await deps.hashing.hash(new_password)
    async with deps.db.write() as session:
        account = await _consume_token(session, token=token, purpose=RESET, now=now)
        await set_password(
            deps,
            session,
            account=account,
            password_hash=password_hash,
            now=now,
            keep_session_id=None,
        )
        await session.commit()


@raises(InvalidInputError)
async def request_new_access_code(
    deps: Deps, *, caller: Caller, email: str, kvk_number: str | None
) -> None:
    """Queue a new-code request; the worker mails a confirmation link to each match."""
    problems = Problems()
    cleaned_email = email_field(problems, "email", email)
    kvk = kvk_number_field(problems, "kvkNumber", kvk_number) if kvk_number else None
    problems.raise_if_any()
    email_key = normalize_email(cleaned_email)
    await _queue_request(
        deps,
        caller,
        purpose=NEW_CODE,
        target=f"newcode:{mailbox_key(email_key)}",
        lookup={"email": email_key, "kvk": kvk},
    )


@raises(InvalidTokenError)
async def confirm_new_access_code(deps: Deps, *, caller: Caller, token: str) -> Channel:
    """Replace the access code (password, role and main-user status stay) and deliver it."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        account = await _consume_token(session, token=token, purpose=NEW_CODE, now=now)
        assert account.id is not None
        code = await new_unique_code(session)
        await session.execute(
            update(Account).where(Account.id == account.id).values(access_code=code)
        )
        await sessions.end_all(session, account_id=account.id, now=now)
        await revoke_tokens(session, account_id=account.id, now=now)
        channel = await deliver_access_code(deps, session, account=account, code=code, now=now)
        # Every change of access code is confirmed with a "was this you?" (SPEC §3.1).
        await outbox.mail_account(
            session,
            account=account,
            template="access_code_changed",
            params={
                "at": format_moment(now, account.language),
                "channel_text": i18n.text(_SENT_BY[channel], account.language),
            },
            now=now,
            settings=deps.settings,
        )
        await session.commit()
        return channel


_SENT_BY = {Channel.POST: "sent_by_post", Channel.EMAIL: "sent_by_email"}
