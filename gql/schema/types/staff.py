"""Types of the back office: access-code requests, audit trail, register changes."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry

from gql.schema.types.accounts import DeliveryChannel
from gql.schema.types.common import InvalidInput, InvalidState, Node, NotFound
from gql.schema.types.register import AddressInput, Company


@strawberry.enum(description="Where a business access-code request stands.")
class AccessCodeRequestStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for the staff check.")
    APPROVED = strawberry.enum_value("APPROVED", description="Approved; the code was sent.")
    REJECTED = strawberry.enum_value("REJECTED", description="Rejected; the applicant was told.")


@strawberry.type(description="A business access-code request, as staff see it.")
class AccessCodeRequest(Node):
    name: str = strawberry.field(description="Applicant's name.")
    email: str = strawberry.field(description="Applicant's e-mail address.")
    kvk_number: str = strawberry.field(description="The organisation's KVK number.")
    company_name: str = strawberry.field(description="The organisation's name in the register.")
    email_matches_register: bool = strawberry.field(
        description="Whether the applicant's e-mail equals the organisation's e-mail in the "
        "register: then the code goes by e-mail, otherwise by post."
    )
    status: AccessCodeRequestStatus = strawberry.field(description="Where it stands.")
    requested_at: datetime = strawberry.field(description="When it was made.")
    expected_by: date = strawberry.field(description="Promised answer date.")
    decided_at: datetime | None = strawberry.field(description="When staff decided.")
    delivered_by: DeliveryChannel | None = strawberry.field(description="How the code was sent.")
    has_mandate: bool = strawberry.field(description="Whether it carries a direct-debit mandate.")


@strawberry.type(description="One staff action in the audit trail (read-only).")
class AuditEvent:
    actor_id: strawberry.ID = strawberry.field(description="Global id of the staff account.")
    action: str = strawberry.field(description="What was done.")
    subject: str = strawberry.field(description="What it was done to.")
    details: str = strawberry.field(description="Details.")
    at: datetime = strawberry.field(description="When.")
    client_ip: str = strawberry.field(description="From which address.")
    request_id: str = strawberry.field(description="The request id, also in the server log.")


@strawberry.input(description="Approve a business access-code request.")
class StaffApproveAccessCodeRequestInput:
    request_id: strawberry.ID = strawberry.field(description="Global id of the request.")


@strawberry.type(description="Approved: the account exists and its code is on its way.")
class StaffApproveAccessCodeRequestPayload:
    request: AccessCodeRequest = strawberry.field(description="The request, now APPROVED.")


StaffApproveAccessCodeRequestResult = Annotated[
    StaffApproveAccessCodeRequestPayload | NotFound | InvalidState | InvalidInput,
    strawberry.union(
        "StaffApproveAccessCodeRequestResult",
        description="What `staffApproveAccessCodeRequest` answers: StaffApproveAccessCodeRequestPayload on success, otherwise one of the "
        "expected failures, each implementing Error.",
    ),
]


@strawberry.input(description="Reject a business access-code request.")
class StaffRejectAccessCodeRequestInput:
    request_id: strawberry.ID = strawberry.field(description="Global id of the request.")
    reason: str = strawberry.field(description="Why; it is e-mailed to the applicant.")


@strawberry.type(description="Rejected: the applicant was told why.")
class StaffRejectAccessCodeRequestPayload:
    request: AccessCodeRequest = strawberry.field(description="The request, now REJECTED.")


StaffRejectAccessCodeRequestResult = Annotated[
    StaffRejectAccessCodeRequestPayload | NotFound | InvalidState | InvalidInput,
    strawberry.union(
        "StaffRejectAccessCodeRequestResult",
        description="What `staffRejectAccessCodeRequest` answers: StaffRejectAccessCodeRequestPayload on success, otherwise one of the "
        "expected failures, each implementing Error.",
    ),
]


@strawberry.input(description="Record a registered address change of a company.")
class StaffRecordAddressChangeInput:
    kvk_number: str = strawberry.field(description="The company's KVK number.")
    visiting_address: AddressInput | None = strawberry.field(
        default=None, description="The new visiting address, if it changed."
    )
    postal_address: AddressInput | None = strawberry.field(
        default=None, description="The new postal address, if it changed."
    )
    remove_postal_address: bool = strawberry.field(
        default=False, description="Mail goes to the visiting address from now on."
    )


@strawberry.type(description="The register now holds the new address.")
class StaffRecordAddressChangePayload:
    company: Company = strawberry.field(description="The company as it is now.")


StaffRecordAddressChangeResult = Annotated[
    StaffRecordAddressChangePayload | NotFound | InvalidInput,
    strawberry.union(
        "StaffRecordAddressChangeResult",
        description="What `staffRecordAddressChange` answers: StaffRecordAddressChangePayload on success, otherwise one of the "
        "expected failures, each implementing Error.",
    ),
]
