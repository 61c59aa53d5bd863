"""The life of an access-code application: apply, the staff check, delivery.

PRIVATE: the code is issued at once and e-mailed. BUSINESS: the request waits for a staff
check; on approval the code goes by e-mail when the applicant's e-mail is the register's,
otherwise by post to the organisation's registered address (SPEC §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.accounts import AccessCodeRequest, Account, RequestStatus, Usage
from gql.models.outbox import Channel
from gql.models.register import Company
from gql.reader import Read
from gql.services import mandates, register
from gql.services.accounts import access_codes, mails, texts  # noqa: F401  (registers texts)
from gql.services.accounts.accounts import active_business_codes, new_account
from gql.services.accounts.passwords import check_password
from gql.services.shared import audit, outbox, throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    Problems,
    raises,
)
from gql.services.shared.formatting import format_date, format_moment
from gql.services.shared.validation import (
    email_field,
    kvk_number_field,
    mailbox_key,
    normalize_email,
    text_field,
)
from gql.services.shared.workdays import business_check_expected_by


@dataclass(frozen=True, slots=True)
class AccessCodeApplication:
    usage: Usage
    name: str
    email: str
    password: str
    kvk_number: str | None = None
    mandate: mandates.MandateInput | None = None


@dataclass(frozen=True, slots=True)
class ApplicationOutcome:
    usage: Usage
    email: str
    #: BUSINESS: the day the code is sent at the latest. PRIVATE: None (sent at once).
    expected_by: date | None
    #: PRIVATE: EMAIL. BUSINESS: None until the staff check decides.
    delivery: Channel | None


async def _validate(
    deps: Deps, app: AccessCodeApplication
) -> tuple[AccessCodeApplication, Company | None]:
    problems = Problems()
    name = text_field(problems, "name", app.name, maximum=200)
    email = email_field(problems, "email", app.email)
    await check_password(problems, app.password, field="password", email=email, name=name)
    company = None
    mandate = None
    if app.usage == Usage.PRIVATE:
        if app.kvk_number:
            problems.add("kvkNumber", "not_for_private")
        if app.mandate is not None:
            problems.add("mandate", "not_for_private")
    else:
        kvk_number = kvk_number_field(problems, "kvkNumber", app.kvk_number)
        if not problems.has("kvkNumber"):
            async with deps.db.read() as session:
                company = await register.get_company(session, kvk_number)
                has_mandate = (
                    company is not None
                    and await mandates.active_company_mandate(session, kvk_number=kvk_number)
                    is not None
                )
            if company is None:
                problems.add("kvkNumber", "kvk_number_unknown")
            elif app.mandate is None and not has_mandate:
                problems.add("mandate", "mandate_required")
        if app.mandate is not None:
            mandate = mandates.validate_mandate(problems, app.mandate, field="mandate")
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


@raises(InvalidInputError)
async def request_access_code(
    deps: Deps, *, caller: Caller, application: AccessCodeApplication
) -> ApplicationOutcome:
    """PRIVATE: issue and mail a code at once. BUSINESS: queue for the staff check.

    A second business request for the same person and organisation gets the same answer
    and only an e-mail saying that a code exists (no enumeration through the API).
    """
    app, company = await _validate(deps, application)
    now = deps.clock.now()
    async with deps.db.write() as session:
        await throttle.hit_mail_limits(
            session, deps, target=mailbox_key(app.email), client_ip=caller.client_ip
        )
        # Counted before the hash: a throttled client costs no argon2 work.
        await session.commit()
    password_hash = await deps.hashing.hash(app.password)
    for _attempt in range(2):
        try:
            async with deps.db.write() as session:
                if app.usage == Usage.PRIVATE:
                    await _issue_private(deps, session, app, password_hash, caller, now)
                    outcome = ApplicationOutcome(Usage.PRIVATE, app.email, None, Channel.EMAIL)
                else:
                    assert company is not None
                    expected_by = await _queue_business(
                        deps, session, app, company, password_hash, caller, now
                    )
                    outcome = ApplicationOutcome(Usage.BUSINESS, app.email, expected_by, None)
                await session.commit()
                return outcome
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
    account = await new_account(
        session,
        usage=Usage.PRIVATE,
        name=app.name,
        email=app.email,
        password_hash=password_hash,
        language=caller.language,
        now=now,
    )
    await outbox.mail_account(
        session,
        account=account,
        template="access_code_issued",
        params={"access_code": access_codes.display(account.access_code)},
        now=now,
        settings=deps.settings,
    )


async def _queue_business(
    deps: Deps,
    session: AsyncSession,
    app: AccessCodeApplication,
    company: Company,
    password_hash: str,
    caller: Caller,
    now: datetime,
) -> date:
    email_key = normalize_email(app.email)
    assert app.kvk_number is not None
    has_code = await active_business_codes(
        session, email_normalized=email_key, kvk_number=app.kvk_number
    )
    pending = await session.scalar(
        select(func.count()).where(
            AccessCodeRequest.email_normalized == email_key,
            AccessCodeRequest.kvk_number == app.kvk_number,
            AccessCodeRequest.status == RequestStatus.PENDING,
        )
    )
    expected_by = business_check_expected_by(now)
    if has_code or pending:
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
        params={
            "name": app.name,
            "company_name": company.name,
            "expected_by": format_date(expected_by, caller.language),
        },
        now=now,
        settings=deps.settings,
    )
    return expected_by


# ---- the staff check -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestView:
    """A business request as staff see it, with the register e-mail check."""

    id: int
    name: str
    email: str
    kvk_number: str
    company_name: str
    email_matches_register: bool
    status: RequestStatus
    requested_at: datetime
    expected_by: date
    decided_at: datetime | None
    delivered_by: Channel | None
    has_mandate: bool


def _view(req: AccessCodeRequest, company: Company) -> RequestView:
    assert req.id is not None
    return RequestView(
        id=req.id,
        name=req.name,
        email=req.email,
        kvk_number=req.kvk_number,
        company_name=company.name,
        email_matches_register=emails_match(req.email, company.email),
        status=RequestStatus(req.status),
        requested_at=req.requested_at,
        expected_by=req.expected_by,
        decided_at=req.decided_at,
        delivered_by=Channel(req.delivered_by) if req.delivered_by else None,
        has_mandate=req.mandate_iban is not None,
    )


def _view_of_row(row: Any) -> RequestView:
    return RequestView(
        id=row.id,
        name=row.name,
        email=row.email,
        kvk_number=row.kvk_number,
        company_name=row.company_name,
        email_matches_register=emails_match(row.email, row.company_email),
        status=row.status,
        requested_at=row.requested_at,
        expected_by=row.expected_by,
        decided_at=row.decided_at,
        delivered_by=row.delivered_by,
        has_mandate=row.mandate_iban is not None,
    )


_request = AccessCodeRequest.__table__  # type: ignore[attr-defined]
_company = Company.__table__  # type: ignore[attr-defined]
_REQUEST_COLUMNS = select(
    _request.c.id,
    _request.c.name,
    _request.c.email,
    _request.c.kvk_number,
    _company.c.name.label("company_name"),
    _company.c.email.label("company_email"),
    _request.c.status,
    _request.c.requested_at,
    _request.c.expected_by,
    _request.c.decided_at,
    _request.c.delivered_by,
    _request.c.mandate_iban,
).join(_company, _company.c.kvk_number == _request.c.kvk_number)
# One statement each on the read connection (gql/reader.py); the page's companies come along.
_PAGE = {
    (by_status, after): Read(
        _REQUEST_COLUMNS.where(
            *([_request.c.status == bindparam("status")] if by_status else []),
            *([_request.c.id > bindparam("after_id")] if after else []),
        )
        .order_by(_request.c.id)
        .limit(bindparam("limit"))
    )
    for by_status in (False, True)
    for after in (False, True)
}
_ONE = Read(_REQUEST_COLUMNS.where(_request.c.id == bindparam("request_id")))


async def list_requests(
    deps: Deps, *, status: RequestStatus | None, after_id: int | None, limit: int
) -> list[RequestView]:
    """Requests oldest first (the queue order), `limit` of them after `after_id`."""
    read = _PAGE[(status is not None, after_id is not None)]
    rows = await deps.db.reader.all(read, status=status, after_id=after_id, limit=limit)
    return [_view_of_row(row) for row in rows]


async def get_request(deps: Deps, *, request_id: int) -> RequestView | None:
    row = await deps.db.reader.first(_ONE, request_id=request_id)
    return _view_of_row(row) if row else None


async def _pending(session: AsyncSession, request_id: int) -> tuple[AccessCodeRequest, Company]:
    req = await session.get(AccessCodeRequest, request_id, with_for_update=True)
    if req is None:
        raise NotFoundError(field_path=("requestId",))
    if req.status != RequestStatus.PENDING:
        raise InvalidStateError(field_path=("requestId",), message_key="request_already_decided")
    # Locked too: approvals for one organisation run one at a time, so two at once cannot
    # both become its main user or both sign its first mandate (PostgreSQL, READ COMMITTED).
    company = await register.get_company(session, req.kvk_number, lock=True)
    assert company is not None
    return req, company


@raises(NotFoundError, InvalidStateError)
async def approve_request(deps: Deps, *, caller: Caller, request_id: int) -> RequestView:
    """Issue the code: by e-mail when the applicant's e-mail is the register's, else by post."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        req, company = await _pending(session, request_id)
        if await active_business_codes(
            session, email_normalized=req.email_normalized, kvk_number=req.kvk_number
        ):
            raise InvalidStateError(field_path=("requestId",), message_key="applicant_has_code")
        has_main_user = await session.scalar(
            select(func.count()).where(
                Account.kvk_number == req.kvk_number,
                col(Account.is_main_user).is_(True),
                col(Account.active).is_(True),
            )
        )
        account = await new_account(
            session,
            usage=Usage.BUSINESS,
            name=req.name,
            email=req.email,
            kvk_number=req.kvk_number,
            is_main_user=not has_main_user,
            password_hash=req.password_hash,
            language=req.language,
            now=now,
        )
        if req.mandate_iban and req.mandate_account_holder:
            await _adopt_mandate(deps, session, req, company, account, now)
        channel = await deliver_access_code(
            deps, session, account=account, code=account.access_code, now=now
        )
        req.status = RequestStatus.APPROVED
        req.decided_at = now
        req.decided_by_id = caller.account_id
        req.account_id = account.id
        req.delivered_by = channel
        # The hash now lives on the account; the request keeps no copy.
        req.password_hash = ""
        await audit.record(
            session,
            caller=caller,
            action="access_code_request.approved",
            subject=f"access_code_request:{req.id}",
            details=f"kvk {req.kvk_number}; delivered by {channel}; account {account.id}",
            now=now,
        )
        await session.commit()
        return _view(req, company)


async def _adopt_mandate(
    deps: Deps,
    session: AsyncSession,
    req: AccessCodeRequest,
    company: Company,
    account: Account,
    now: datetime,
) -> None:
    """The applicant's mandate becomes the organisation's, unless it already has one."""
    if await mandates.active_company_mandate(session, kvk_number=company.kvk_number):
        return
    assert req.mandate_iban and req.mandate_account_holder
    mandate = await mandates.sign_company_mandate(
        session,
        kvk_number=company.kvk_number,
        iban=req.mandate_iban,
        account_holder=req.mandate_account_holder,
        now=now,
    )
    await outbox.mail_account(
        session,
        account=account,
        template="payment_method_changed",
        params={
            "holder_text": company.name,
            "iban_masked": mandates.mask_iban(mandate.iban),
            "reference": mandate.reference,
            "at": format_moment(now, account.language),
        },
        now=now,
        settings=deps.settings,
    )


@raises(NotFoundError, InvalidStateError, InvalidInputError)
async def reject_request(
    deps: Deps, *, caller: Caller, request_id: int, reason: str
) -> RequestView:
    """Refuse the request and tell the applicant why."""
    problems = Problems()
    cleaned = text_field(problems, "reason", reason, maximum=500)
    problems.raise_if_any()
    now = deps.clock.now()
    async with deps.db.write() as session:
        req, company = await _pending(session, request_id)
        req.status = RequestStatus.REJECTED
        req.decided_at = now
        req.decided_by_id = caller.account_id
        req.rejection_reason = cleaned
        req.password_hash = ""
        await outbox.enqueue_email(
            session,
            to=req.email,
            template="access_code_request_rejected",
            language=req.language,
            params={"name": req.name, "company_name": company.name, "reason": cleaned},
            now=now,
            settings=deps.settings,
        )
        await audit.record(
            session,
            caller=caller,
            action="access_code_request.rejected",
            subject=f"access_code_request:{req.id}",
            # Free text stays on the request (erased after its retention period), never in
            # the append-only trail: the trail only points at it.
            details=f"kvk {req.kvk_number}; reason: see rejection_reason of the request",
            now=now,
        )
        await session.commit()
        return _view(req, company)


# ---- delivery ------------------------------------------------------------------------------


async def deliver_access_code(
    deps: Deps, session: AsyncSession, *, account: Account, code: str, now: datetime
) -> Channel:
    """By e-mail, unless a business applicant's e-mail differs from the register's: then by post."""
    company = (
        await register.get_company(session, account.kvk_number) if account.kvk_number else None
    )
    if company is not None and not emails_match(account.email, company.email):
        await outbox.enqueue_letter(
            session,
            addressee=account.name,
            address_lines=register.postal_address_lines(company),
            template="access_code_letter",
            language=account.language,
            params={
                "name": account.name,
                "company_name": company.name,
                "kvk_number": company.kvk_number,
                "access_code": access_codes.display(code),
            },
            now=now,
            settings=deps.settings,
            account_id=account.id,
        )
        return Channel.POST
    await outbox.mail_account(
        session,
        account=account,
        template="access_code_issued",
        params={"access_code": access_codes.display(code)},
        now=now,
        settings=deps.settings,
    )
    return Channel.EMAIL


def emails_match(applicant: str, registered: str | None) -> bool:
    return bool(registered) and normalize_email(applicant) == normalize_email(registered or "")
