"""The back office: checking business access-code requests, and reading the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.models.accounts import AccessCodeRequest, Account
from gql.models.register import Company
from gql.models.security import AuditEvent
from gql.services import access_codes, audit, outbox, payments
from gql.services.accounts import BUSINESS, format_moment, new_unique_code
from gql.services.deps import Caller, Deps
from gql.services.errors import InvalidStateError, NotFoundError, Problems
from gql.services.passwords import check_password
from gql.services.recovery import deliver_access_code, emails_match
from gql.services.validation import email_field, normalize_email, text_field


@dataclass(frozen=True, slots=True)
class RequestView:
    """A business request as staff see it, with the register e-mail check."""

    id: int
    name: str
    email: str
    kvk_number: str
    company_name: str
    email_matches_register: bool
    status: str
    requested_at: datetime
    expected_by: date
    decided_at: datetime | None
    delivered_by: str | None
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
        status=req.status,
        requested_at=req.requested_at,
        expected_by=req.expected_by,
        decided_at=req.decided_at,
        delivered_by=req.delivered_by,
        has_mandate=req.mandate_iban is not None,
    )


async def list_requests(
    deps: Deps, *, status: str | None, after_id: int | None, limit: int
) -> list[RequestView]:
    """Requests oldest first (the queue order), `limit` of them after `after_id`."""
    async with deps.db.read() as session:
        query = select(AccessCodeRequest, Company).join(
            Company, Company.kvk_number == AccessCodeRequest.kvk_number
        )
        if status:
            query = query.where(AccessCodeRequest.status == status)
        if after_id is not None:
            query = query.where(AccessCodeRequest.id > after_id)  # type: ignore[operator]
        query = query.order_by(AccessCodeRequest.id).limit(limit)  # type: ignore[arg-type]
        return [_view(req, company) for req, company in (await session.execute(query)).all()]


async def _pending(session: AsyncSession, request_id: int) -> tuple[AccessCodeRequest, Company]:
    req = await session.get(AccessCodeRequest, request_id, with_for_update=True)
    if req is None:
        raise NotFoundError(field_path=("requestId",))
    if req.status != "PENDING":
        raise InvalidStateError(field_path=("requestId",))
    # Locked too: approvals for one organisation run one at a time, so two at once cannot
    # both become its main user or both sign its first mandate (PostgreSQL, READ COMMITTED).
    company = await session.get(Company, req.kvk_number, with_for_update=True)
    assert company is not None
    return req, company


async def approve_request(deps: Deps, *, caller: Caller, request_id: int) -> RequestView:
    """Issue the code: by e-mail when the applicant's e-mail is the register's, else by post."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        req, company = await _pending(session, request_id)
        already = await session.scalar(
            select(func.count()).where(
                Account.email_normalized == req.email_normalized,
                Account.kvk_number == req.kvk_number,
                Account.active.is_(True),  # type: ignore[attr-defined]
            )
        )
        if already:
            raise InvalidStateError(field_path=("requestId",))
        has_main_user = await session.scalar(
            select(func.count()).where(
                Account.kvk_number == req.kvk_number,
                Account.is_main_user.is_(True),  # type: ignore[attr-defined]
                Account.active.is_(True),  # type: ignore[attr-defined]
            )
        )
        code = await new_unique_code(session)
        account = Account(
            access_code=code,
            usage=BUSINESS,
            name=req.name,
            email=req.email,
            email_normalized=req.email_normalized,
            kvk_number=req.kvk_number,
            is_main_user=not has_main_user,
            password_hash=req.password_hash,
            language=req.language,
            created_at=now,
            password_changed_at=now,
        )
        session.add(account)
        await session.flush()
        if req.mandate_iban and req.mandate_account_holder:
            await _adopt_mandate(deps, session, req, company, account, now)
        channel = await deliver_access_code(deps, session, account=account, code=code, now=now)
        req.status = "APPROVED"
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
    if await payments.active_company_mandate(session, kvk_number=company.kvk_number):
        return
    assert req.mandate_iban and req.mandate_account_holder
    mandate = await payments.sign_company_mandate(
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
            "iban_masked": payments.mask_iban(mandate.iban),
            "reference": mandate.reference,
            "at": format_moment(now, account.language),
        },
        now=now,
        settings=deps.settings,
    )


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
        req.status = "REJECTED"
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
            details=f"kvk {req.kvk_number}; reason: {cleaned}",
            now=now,
        )
        return _view(req, company)


async def audit_trail(deps: Deps, *, before_id: int | None, limit: int) -> list[AuditEvent]:
    """Newest first."""
    async with deps.db.read() as session:
        query = select(AuditEvent)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)  # type: ignore[operator]
        query = query.order_by(AuditEvent.id.desc()).limit(limit)  # type: ignore[union-attr]
        return list((await session.execute(query)).scalars())


async def create_staff(
    deps: Deps, *, name: str, email: str, password: str, totp_secret: str
) -> str:
    """A staff account (command line only); returns its access code."""
    problems = Problems()
    clean_name = text_field(problems, "name", name, maximum=200)
    clean_email = email_field(problems, "email", email)
    await check_password(problems, password, field="password", email=clean_email, name=clean_name)
    problems.raise_if_any()
    password_hash = await deps.hashing.hash(password)
    now = deps.clock.now()
    async with deps.db.write() as session:
        code = await new_unique_code(session)
        session.add(
            Account(
                access_code=code,
                usage="STAFF",
                name=clean_name,
                email=clean_email,
                email_normalized=normalize_email(clean_email),
                password_hash=password_hash,
                totp_secret=totp_secret,
                created_at=now,
                password_changed_at=now,
            )
        )
    return access_codes.display(code)


async def get_request(deps: Deps, *, request_id: int) -> RequestView | None:
    async with deps.db.read() as session:
        row = (
            await session.execute(
                select(AccessCodeRequest, Company)
                .join(Company, Company.kvk_number == AccessCodeRequest.kvk_number)
                .where(AccessCodeRequest.id == request_id)
            )
        ).first()
        return _view(row[0], row[1]) if row else None
