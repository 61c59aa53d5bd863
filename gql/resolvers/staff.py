"""Resolvers of the back office: every field checks that a staff member asks."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.models.security import AuditEvent as AuditEventRow
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    connection,
    error_result,
    page_args,
    require_staff,
)
from gql.schema.types import staff as t
from gql.schema.types.accounts import DeliveryChannel
from gql.schema.types.common import Connection, from_global_id, to_global_id
from gql.schema.types.register import AddressInput, Company
from gql.services import register, staff
from gql.services.errors import DomainError, NotFoundError
from gql.services.staff import RequestView

Inf = Info[Context, None]


def request_type(view: RequestView) -> t.AccessCodeRequest:
    return t.AccessCodeRequest(
        id=to_global_id("AccessCodeRequest", view.id),
        name=view.name,
        email=view.email,
        kvk_number=view.kvk_number,
        company_name=view.company_name,
        email_matches_register=view.email_matches_register,
        status=t.AccessCodeRequestStatus(view.status),
        requested_at=view.requested_at,
        expected_by=view.expected_by,
        decided_at=view.decided_at,
        delivered_by=DeliveryChannel(view.delivered_by) if view.delivered_by else None,
        has_mandate=view.has_mandate,
    )


def audit_event_type(row: AuditEventRow) -> t.AuditEvent:
    return t.AuditEvent(
        actor_id=to_global_id("Viewer", row.actor_id),
        action=row.action,
        subject=row.subject,
        details=row.details,
        at=row.at,
        client_ip=row.client_ip,
        request_id=row.request_id,
    )


def _request_pk(global_id: str) -> int:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != "AccessCodeRequest" or not decoded[1].isdigit():
        raise NotFoundError(field_path=("requestId",))
    return int(decoded[1])


@strawberry.type(description="Back-office queries; only for signed-in staff.")
class StaffQuery:
    @strawberry.field(description="Business access-code requests, oldest first.")
    async def access_code_requests(
        self,
        info: Inf,
        status: Annotated[
            t.AccessCodeRequestStatus | None,
            strawberry.argument(description="Only requests in this state; null for all."),
        ] = t.AccessCodeRequestStatus.PENDING,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.AccessCodeRequest]:
        require_staff(info)
        page = page_args(first, after, info.context.language)
        views = await staff.list_requests(
            info.context.deps,
            status=status.name if status else None,
            after_id=page.after_key,
            limit=page.limit + 1,
        )
        return connection(views, page, node=request_type, key=lambda v: v.id)

    @strawberry.field(description="The audit trail of staff actions, newest first. Read-only.")
    async def audit_trail(
        self,
        info: Inf,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.AuditEvent]:
        require_staff(info)
        page = page_args(first, after, info.context.language)
        rows = await staff.audit_trail(
            info.context.deps, before_id=page.after_key, limit=page.limit + 1
        )
        return connection(rows, page, node=audit_event_type, key=lambda r: r.id or 0)

    @strawberry.field(description="A company in the register.")
    async def company(
        self,
        info: Inf,
        kvk_number: Annotated[str, strawberry.argument(description="KVK number, 8 digits.")],
    ) -> Company | None:
        require_staff(info)
        row = await info.context.loaders.company.load(kvk_number)
        return Company.from_row(row) if row else None


async def staff_root(info: Inf) -> StaffQuery:
    require_staff(info)
    return StaffQuery()


def _address(value: AddressInput | None) -> register.AddressInput | None:
    if value is None:
        return None
    return register.AddressInput(value.street, value.house_number, value.postal_code, value.city)


async def staff_approve_access_code_request(
    info: Inf, input: Annotated[t.StaffApproveAccessCodeRequestInput, INPUT]
) -> t.StaffApproveAccessCodeRequestResult:
    caller = require_staff(info)
    try:
        view = await staff.approve_request(
            info.context.deps, caller=caller, request_id=_request_pk(input.request_id)
        )
    except DomainError as exc:
        return error_result(exc, caller.language)
    return t.StaffApproveAccessCodeRequestPayload(request=request_type(view))


async def staff_reject_access_code_request(
    info: Inf, input: Annotated[t.StaffRejectAccessCodeRequestInput, INPUT]
) -> t.StaffRejectAccessCodeRequestResult:
    caller = require_staff(info)
    try:
        view = await staff.reject_request(
            info.context.deps,
            caller=caller,
            request_id=_request_pk(input.request_id),
            reason=input.reason,
        )
    except DomainError as exc:
        return error_result(exc, caller.language)
    return t.StaffRejectAccessCodeRequestPayload(request=request_type(view))


async def staff_record_address_change(
    info: Inf, input: Annotated[t.StaffRecordAddressChangeInput, INPUT]
) -> t.StaffRecordAddressChangeResult:
    caller = require_staff(info)
    try:
        row = await register.record_address_change(
            info.context.deps,
            caller=caller,
            kvk_number=input.kvk_number,
            visiting=_address(input.visiting_address),
            postal=_address(input.postal_address),
            clear_postal=input.remove_postal_address,
        )
    except DomainError as exc:
        return error_result(exc, caller.language)
    return t.StaffRecordAddressChangePayload(company=Company.from_row(row))


@strawberry.type
class Query:
    staff: StaffQuery = strawberry.field(
        resolver=staff_root,
        description="Back-office queries. UNAUTHENTICATED when not signed in, FORBIDDEN for "
        "non-staff.",
    )


@strawberry.type
class Mutation:
    staff_approve_access_code_request: t.StaffApproveAccessCodeRequestResult = strawberry.mutation(
        resolver=staff_approve_access_code_request,
        description="Staff: approve a business request; the code goes by e-mail or post.",
    )
    staff_reject_access_code_request: t.StaffRejectAccessCodeRequestResult = strawberry.mutation(
        resolver=staff_reject_access_code_request,
        description="Staff: reject a business request; the applicant is e-mailed the reason.",
    )
    staff_record_address_change: t.StaffRecordAddressChangeResult = strawberry.mutation(
        resolver=staff_record_address_change,
        description="Staff: record a company's registered address change.",
    )
