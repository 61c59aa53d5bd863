"""Access codes: requesting one, signing in and out, changing the password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import pyotp
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.accounts import AccessCodeRequest, Account, OneTimeToken
from gql.models.register import Company
from gql.services import access_codes, outbox, payments, sessions, throttle
from gql.services.deps import Caller, Deps
from gql.services.errors import (
    InvalidCredentialsError,
    InvalidInputError,
    Problem,
    Problems,
    UnauthenticatedError,
)
from gql.services.passwords import check_password
from gql.services.validation import email_field, kvk_number_field, normalize_email, text_field
from gql.services.workdays import AMSTERDAM, business_check_expected_by

BUSINESS = "BUSINESS"
PRIVATE = "PRIVATE"
STAFF = "STAFF"


@dataclass(frozen=True, slots=True)
class AccessCodeApplication:
    usage: str
    name: str
    email: str
    password: str
    kvk_number: str | None = None
    mandate: payments.MandateInput | None = None


@dataclass(frozen=True, slots=True)
class ApplicationOutcome:
    usage: str
    email: str
    expected_by: date | None


async def _company(session: AsyncSession, kvk_number: str) -> Company | None:
    return await session.get(Company, kvk_number)


async def new_unique_code(session: AsyncSession) -> str:
    """A fresh access code that no account has had."""
    while True:
        code = access_codes.generate()
        taken = await session.scalar(select(func.count()).where(Account.access_code == code))
        if not taken:
            return code


async def _validate_application(
    deps: Deps, app: AccessCodeApplication
) -> tuple[AccessCodeApplication, Company | None]:
    problems = Problems()
    name = text_field(problems, "name", app.name, maximum=200)
    email = email_field(problems, "email", app.email)
    await check_password(problems, app.password, field="password", email=email, name=name)
    company = None
    mandate = None
    if app.usage == PRIVATE:
        if app.kvk_number:
            problems.add("kvkNumber", "not_for_private")
        if app.mandate is not None:
            problems.add("mandate", "not_for_private")
    else:
        kvk_number = kvk_number_field(problems, "kvkNumber", app.kvk_number)
        if not problems.has("kvkNumber"):
            async with deps.db.read() as session:
                company = await _company(session, kvk_number)
                has_mandate = (
                    company is not None
                    and await payments.active_company_mandate(session, kvk_number=kvk_number)
                    is not None
                )
            if company is None:
                problems.add("kvkNumber", "kvk_number_unknown")
            elif app.mandate is None and not has_mandate:
                problems.add("mandate", "mandate_required")
        if app.mandate is not None:
            mandate = payments.validate_mandate(problems, app.mandate, field="mandate")
    problems.raise_if_any()
    cleaned = AccessCodeApplication(
        usage=app.usage,
        name=name,
        email=email,
        password=app.password,
        kvk_number=app.kvk_number.strip() if app.kvk_number else None,
        mandate=mandate,
    )
    return cleaned, company


async def request_access_code(
    deps: Deps, *, caller: Caller, application: AccessCodeApplication
) -> ApplicationOutcome:
    """PRIVATE: issue and mail a code at once. BUSINESS: queue for the staff check.

    A second business request for the same person and organisation gets the same answer
    and only an e-mail saying that a code exists (no enumeration through the API).
    """
    app, company = await _validate_application(deps, application)
    now = deps.clock.now()
    email_key = normalize_email(app.email)
    # Counted before the hash: a throttled client costs no argon2 work.
    async with deps.db.write() as session:
        await throttle.hit_mail_limits(
            session,
            target_key=deps.keyed_hash(email_key),
            client_key=deps.keyed_hash(caller.client_ip),
            now=now,
        )
    password_hash = await deps.hashing.hash(app.password)
    for _attempt in range(2):
        try:
            async with deps.db.write() as session:
                if app.usage == PRIVATE:
                    await _issue_private(deps, session, app, password_hash, caller, now)
                    return ApplicationOutcome(PRIVATE, app.email, None)
                assert company is not None
                await _queue_business(deps, session, app, company, password_hash, caller, now)
                return ApplicationOutcome(BUSINESS, app.email, business_check_expected_by(now))
        except IntegrityError:
            # A concurrent identical request won the unique index; the retry sees it.
            continue
    raise RuntimeError("access code request kept conflicting")


async def _issue_private(
    deps: Deps,
    session: AsyncSession,
    app: AccessCodeApplication,
    password_hash: str,
    caller: Caller,
    now: datetime,
) -> None:
    code = await new_unique_code(session)
    account = Account(
        access_code=code,
        usage=PRIVATE,
        name=app.name,
        email=app.email,
        email_normalized=normalize_email(app.email),
        password_hash=password_hash,
        language=caller.language,
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    await session.flush()
    await outbox.enqueue_email(
        session,
        to=app.email,
        template="access_code_issued",
        language=caller.language,
        params={"name": app.name, "access_code": access_codes.display(code)},
        now=now,
        settings=deps.settings,
        account_id=account.id,
    )


async def _queue_business(
    deps: Deps,
    session: AsyncSession,
    app: AccessCodeApplication,
    company: Company,
    password_hash: str,
    caller: Caller,
    now: datetime,
) -> None:
    email_key = normalize_email(app.email)
    assert app.kvk_number is not None
    existing_account = await session.scalar(
        select(func.count()).where(
            Account.email_normalized == email_key,
            Account.kvk_number == app.kvk_number,
            Account.active.is_(True),  # type: ignore[attr-defined]
        )
    )
    pending = await session.scalar(
        select(func.count()).where(
            AccessCodeRequest.email_normalized == email_key,
            AccessCodeRequest.kvk_number == app.kvk_number,
            AccessCodeRequest.status == "PENDING",
        )
    )
    expected_by = business_check_expected_by(now)
    params: dict[str, object] = {
        "name": app.name,
        "company_name": company.name,
        "expected_by": format_date(expected_by, caller.language),
    }
    if existing_account or pending:
        template = "access_code_exists"
    else:
        template = "access_code_request_received"
        session.add(
            AccessCodeRequest(
                name=app.name,
                email=app.email,
                email_normalized=email_key,
                kvk_number=app.kvk_number,
                password_hash=password_hash,
                language=caller.language,
                mandate_iban=app.mandate.iban if app.mandate else None,
                mandate_account_holder=app.mandate.account_holder if app.mandate else None,
                requested_at=now,
                expected_by=expected_by,
            )
        )
        await session.flush()
    await outbox.enqueue_email(
        session,
        to=app.email,
        template=template,
        language=caller.language,
        params=params,
        now=now,
        settings=deps.settings,
    )


_MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "en": "January February March April May June July August September October November December",
}


def format_date(day: date, language: str) -> str:
    month = _MONTHS.get(language, _MONTHS["nl"]).split()[day.month - 1]
    return f"{day.day} {month} {day.year}" if language == "nl" else f"{month} {day.day}, {day.year}"


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    expires_at: datetime
    account_id: int


async def log_in(
    deps: Deps,
    *,
    caller: Caller,
    access_code: str,
    password: str,
    totp: str | None,
    kind: str,
) -> SignedIn:
    """Check code, password (and TOTP for staff); start a session.

    Known and unknown codes cost the same: one argon2 verification each, and the same
    answer. Throttling is checked before any hash is computed. A session the client
    presented while signing in again is ended.
    """
    problems = Problems()
    if not access_code.strip():
        problems.add("accessCode", "required")
    if not password:
        problems.add("password", "required")
    if totp is not None and not (totp.isdigit() and len(totp) == 6):
        problems.add("totp", "totp_format")
    problems.raise_if_any()
    code = access_codes.normalize(access_code)[:32]
    code_key = deps.keyed_hash("code:" + code)
    pair_key = deps.keyed_hash(f"code:{code}|ip:{caller.client_ip}")
    now = deps.clock.now()
    async with deps.db.write() as session:
        hit_id = await throttle.claim_sign_in_attempt(
            session, code_key=code_key, pair_key=pair_key, now=now
        )
        account = (
            await session.execute(
                select(Account).where(
                    Account.access_code == code,
                    Account.active.is_(True),  # type: ignore[attr-defined]
                )
            )
        ).scalar_one_or_none()
    totp_step: int | None = None
    if account is None:
        await deps.hashing.verify_dummy(password)
        ok = False
    else:
        ok = await deps.hashing.verify(account.password_hash, password)
        if ok and account.usage == STAFF:
            totp_step = _totp_matching_step(account, totp, now)
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
        if caller.session_id is not None:
            # The client replaces the session it presented: the old token must not linger.
            await sessions.end(session, session_id=caller.session_id, now=now)
        token, expires_at = await sessions.start(
            session, account_id=account.id, kind=kind, now=now, client_ip=caller.client_ip
        )
    return SignedIn(token=token, expires_at=expires_at, account_id=account.id)


def _totp_step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def _totp_matching_step(account: Account, totp: str | None, now: datetime) -> int | None:
    """RFC 6238: the step whose code `totp` is (one step of drift either way), if unused."""
    if not totp or not account.totp_secret:
        return None
    generator = pyotp.TOTP(account.totp_secret)
    step = _totp_step(now)
    for candidate in (step - 1, step, step + 1):
        if account.totp_last_step is not None and candidate <= account.totp_last_step:
            continue
        if generator.at(candidate * 30) == totp:
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


async def log_out(deps: Deps, *, caller: Caller) -> None:
    if caller.session_id is None:
        raise UnauthenticatedError()
    await sessions.log_out(deps.db, session_id=caller.session_id, now=deps.clock.now())


async def get_account(deps: Deps, *, account_id: int) -> Account | None:
    async with deps.db.read() as session:
        return await session.get(Account, account_id)


async def change_password(
    deps: Deps, *, caller: Caller, current_password: str, new_password: str
) -> None:
    """Set a new password after checking the current one; every other session ends."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    account = await get_account(deps, account_id=caller.account_id)
    if account is None:
        raise UnauthenticatedError()
    problems = Problems()
    if not current_password:
        problems.add("currentPassword", "required")
    await check_password(
        problems,
        new_password,
        field="newPassword",
        email=account.email,
        name=account.name,
        access_code=account.access_code,
    )
    if current_password and current_password == new_password:
        problems.add("newPassword", "password_same")
    problems.raise_if_any()
    code_key = deps.keyed_hash("code:" + account.access_code)
    pair_key = deps.keyed_hash(f"code:{account.access_code}|ip:{caller.client_ip}")
    now = deps.clock.now()
    async with deps.db.write() as session:
        hit_id = await throttle.claim_sign_in_attempt(
            session, code_key=code_key, pair_key=pair_key, now=now
        )
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


async def set_password(
    deps: Deps,
    session: AsyncSession,
    *,
    account: Account,
    password_hash: str,
    now: datetime,
    keep_session_id: int | None,
) -> None:
    """Store a new hash, end the other sessions and mail a 'was this you?' confirmation."""
    await session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(password_hash=password_hash, password_changed_at=now)
    )
    assert account.id is not None
    await sessions.end_all(session, account_id=account.id, now=now, keep_session_id=keep_session_id)
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


def format_moment(moment: datetime, language: str) -> str:
    """A moment as people in the Netherlands read it: Amsterdam time with its offset."""
    local = moment.astimezone(AMSTERDAM)
    return f"{format_date(local.date(), language)} {local:%H:%M} ({local:%z})"
