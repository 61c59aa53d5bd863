"""Types of the accounts domain: the viewer, sign-in and access-code flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gql.schema.types.common import Connection, Node
from gql.schema.types.errors import result_union
from gql.schema.types.register import Company
from gql.services.accounts import (
    applications,
    credentials,
    device_sessions,
    organisation,
    recovery,
    sessions,
    sign_in,
)
from gql.services.payments import methods

if TYPE_CHECKING:
    from gql.schema.types.payments import PaymentMethodInfo


@strawberry.enum(description="Who an access code is for.")
class AccountUsage(Enum):
    BUSINESS = strawberry.enum_value("BUSINESS", description="On behalf of an organisation.")
    PRIVATE = strawberry.enum_value("PRIVATE", description="For private use.")
    STAFF = strawberry.enum_value("STAFF", description="Back-office staff of the service.")


@strawberry.enum(description="How a new session is carried.")
class SessionKind(Enum):
    COOKIE = strawberry.enum_value(
        "COOKIE", description="An HttpOnly cookie, for single-page apps in a browser."
    )
    TOKEN = strawberry.enum_value(
        "TOKEN",
        description="A device session for mobile apps: a short-lived bearer (access) token and "
        "a refresh token in the payload; renew them with `refreshSession`.",
    )


@strawberry.enum(description="How an access code reaches its holder.")
class DeliveryChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="By e-mail.")
    POST = strawberry.enum_value("POST", description="By letter to the registered address.")


@strawberry.type(description="The signed-in account.")
class Viewer(Node):
    access_code: str = strawberry.field(description="The access code, grouped as XXXX-XXXX-XXXX.")
    usage: AccountUsage = strawberry.field(description="Business, private or staff.")
    name: str = strawberry.field(description="The holder's name.")
    email: str = strawberry.field(description="The holder's e-mail address.")
    kvk_number: str | None = strawberry.field(
        description="The organisation's KVK number (business accounts)."
    )
    is_main_user: bool = strawberry.field(
        description="The organisation's first code: sees the orders and invoices of all its codes."
    )
    session_expires_at: datetime = strawberry.field(
        description="When this session ends if nothing happens (idle or absolute limit); for "
        "a device session, when the current access token stops working."
    )
    #: Set by the resolver that makes the viewer: lists its sessions (a page of them).
    list_sessions: strawberry.Private[
        Callable[[Any, int | None, str | None], Awaitable[Connection[Session]]] | None
    ] = None

    @strawberry.field(
        description="Your sessions that have not ended, browser and device, newest first; "
        "end one with `endSession`, all but this one with `endOtherSessions`."
    )
    async def sessions(
        self,
        info: strawberry.Info[Any, Any],
        first: Annotated[
            int | None,
            strawberry.argument(description="How many items, at most 100 (more is an error)."),
        ] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
    ) -> Connection[Session]:
        assert self.list_sessions is not None
        return await self.list_sessions(info, first, after)

    @strawberry.field(
        description="How your orders are paid, and the mandate they are collected on; null "
        "for staff."
    )
    async def payment_method(
        self, info: strawberry.Info[Any, Any]
    ) -> Annotated[PaymentMethodInfo, strawberry.lazy("gql.schema.types.payments")] | None:
        from gql.schema.types.payments import payment_method_info

        view = await methods.payment_method_of(info.context.deps, caller=info.context.caller)
        return payment_method_info(view) if view else None

    @strawberry.field(description="The organisation in the register (business accounts).")
    async def company(self, info: strawberry.Info[Any, Any]) -> Company | None:
        if self.kvk_number is None:
            return None
        row = await info.context.loaders.company.load(self.kvk_number)
        return Company.from_row(row) if row else None


@strawberry.type(
    description="A session of your account: a browser (cookie) or a device (a mobile app). "
    "Only what helps you recognise it is kept: no location, only the client's network."
)
class Session(Node):
    kind: SessionKind = strawberry.field(description="A browser (COOKIE) or a device (TOKEN).")
    device_name: str | None = strawberry.field(
        description="A device session: the name the app gave at sign-in."
    )
    user_agent: str = strawberry.field(
        description="The program that signed in, as it named itself (User-Agent); may be empty."
    )
    created_at: datetime = strawberry.field(description="When it was signed in.")
    last_used_at: datetime = strawberry.field(
        description="When it was last used (to the minute) or refreshed."
    )
    client_network: str = strawberry.field(
        description="The network it was last used from: an IPv4 /24 or IPv6 /48, never a "
        "host address; empty when unknown."
    )
    current: bool = strawberry.field(description="This is the session asking.")


def session_type(view: sessions.SessionView, global_id: str) -> Session:
    return Session(
        id=strawberry.ID(global_id),
        kind=SessionKind(view.kind.value),
        device_name=view.device_name,
        user_agent=view.user_agent,
        created_at=view.created_at,
        last_used_at=view.last_used_at,
        client_network=view.client_network,
        current=view.current,
    )


# ---- requestAccessCode -------------------------------------------------------------------


@strawberry.input(description="A SEPA direct-debit mandate.")
class MandateInput:
    iban: str = strawberry.field(description="The IBAN to debit.")
    account_holder: str = strawberry.field(description="Name of the account holder.")
    consent: bool = strawberry.field(
        description="The holder authorises KVK to collect by SEPA direct debit."
    )


@strawberry.input(description="An application for an access code.")
class RequestAccessCodeInput:
    usage: AccountUsage = strawberry.field(description="BUSINESS or PRIVATE.")
    name: str = strawberry.field(description="Your full name.")
    email: str = strawberry.field(description="Your e-mail address.")
    password: str = strawberry.field(
        description="Your chosen password: at least 15 characters, any characters, no "
        "common passwords, not containing your name or e-mail address."
    )
    kvk_number: str | None = strawberry.field(
        default=None, description="BUSINESS: the organisation's KVK number (8 digits)."
    )
    mandate: MandateInput | None = strawberry.field(
        default=None,
        description="BUSINESS, when the organisation has no direct-debit mandate yet.",
    )


@strawberry.type(description="The application was received.")
class RequestAccessCodePayload:
    usage: AccountUsage = strawberry.field(description="BUSINESS or PRIVATE.")
    delivery: DeliveryChannel | None = strawberry.field(
        description="PRIVATE: EMAIL. BUSINESS: null, decided at the check (e-mail or post)."
    )
    expected_by: date | None = strawberry.field(
        description="BUSINESS: the day (Europe/Amsterdam) by which the code is sent, the 5th "
        "Dutch working day after the request."
    )
    message: str = strawberry.field(description="What happens next, for people to read.")


RequestAccessCodeResult = result_union(
    "requestAccessCode", RequestAccessCodePayload, applications.request_access_code
)

# ---- logIn / logOut ------------------------------------------------------------------------


@strawberry.input(description="Sign in with an access code and password.")
class LogInInput:
    access_code: str = strawberry.field(description="The access code (case and dashes ignored).")
    password: str = strawberry.field(description="The password.")
    totp: str | None = strawberry.field(
        default=None, description="Staff: the 6-digit code of the authenticator app."
    )
    session: SessionKind = strawberry.field(
        default=SessionKind.COOKIE,
        description="COOKIE (default) sets an HttpOnly cookie; TOKEN starts a device session "
        "(not for staff accounts).",
    )
    device_name: str | None = strawberry.field(
        default=None,
        description="With session TOKEN, required: a name for this device of 1 to 64 "
        "characters, shown in the session list (a label for people, not an identifier).",
    )


@strawberry.type(description="Signed in.")
class LogInPayload:
    viewer: Viewer = strawberry.field(description="The signed-in account.")
    token: str | None = strawberry.field(
        description="With session TOKEN: the access token, send as `Authorization: Bearer "
        "<token>`; it works until `tokenExpiresAt` (at most 30 minutes). Null for COOKIE "
        "sessions."
    )
    refresh_token: str | None = strawberry.field(
        description="With session TOKEN: spend it with `refreshSession` before `tokenExpiresAt` "
        "for a new pair; keep it in the platform's secure storage. Null for COOKIE sessions."
    )
    token_expires_at: datetime | None = strawberry.field(
        description="With session TOKEN: when the access token stops working."
    )
    expires_at: datetime = strawberry.field(
        description="Absolute end of the session; for a device session, when it ends unless "
        "refreshed before (at most 30 days after the password was entered)."
    )


LogInResult = result_union("logIn", LogInPayload, sign_in.log_in)


@strawberry.input(description="Spend a device session's refresh token for a new token pair.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(
        description="The refresh token of the last `logIn` or `refreshSession` answer."
    )


@strawberry.type(
    description="A new access and refresh token. The refresh token you sent is spent: asked "
    "again within a few seconds it answers this same pair, later it ends the session."
)
class RefreshSessionPayload:
    token: str = strawberry.field(
        description="The new access token: `Authorization: Bearer <token>`."
    )
    token_expires_at: datetime = strawberry.field(
        description="When the access token stops working (at most 30 minutes)."
    )
    refresh_token: str = strawberry.field(description="The next refresh token; keep it safe.")
    expires_at: datetime = strawberry.field(
        description="When the device session ends unless refreshed before (7 days without a "
        "refresh, at most 30 days after the password was entered)."
    )


RefreshSessionResult = result_union(
    "refreshSession", RefreshSessionPayload, device_sessions.refresh_session
)


@strawberry.input(description="End one of your sessions.")
class EndSessionInput:
    session_id: strawberry.ID = strawberry.field(
        description="The id of a session in `viewer.sessions`."
    )


@strawberry.type(description="The session ended: its cookie or tokens no longer work anywhere.")
class EndSessionPayload:
    ended_session_id: strawberry.ID = strawberry.field(description="The id that was given.")


EndSessionResult = result_union("endSession", EndSessionPayload, sessions.end_session)


@strawberry.input(description="End every session of your account but this one.")
class EndOtherSessionsInput:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Optional; echoed back."
    )


@strawberry.type(description="Every other session ended; this one goes on.")
class EndOtherSessionsPayload:
    client_mutation_id: str | None = strawberry.field(description="As given.")


EndOtherSessionsResult = result_union(
    "endOtherSessions", EndOtherSessionsPayload, sessions.end_other_sessions
)


@strawberry.input(description="End the current session.")
class LogOutInput:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Optional; echoed back."
    )


@strawberry.type(description="Signed out; the cookie or token no longer works.")
class LogOutPayload:
    client_mutation_id: str | None = strawberry.field(description="As given.")


LogOutResult = result_union("logOut", LogOutPayload, sign_in.log_out)

# ---- password ------------------------------------------------------------------------------


@strawberry.input(description="Change the password; other sessions end.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The current password.")
    new_password: str = strawberry.field(
        description="The new password (same rules as at the request)."
    )


@strawberry.type(description="The password was changed.")
class ChangePasswordPayload:
    viewer: Viewer = strawberry.field(description="The account.")
    message: str = strawberry.field(description="Confirmation for people to read.")


ChangePasswordResult = result_union(
    "changePassword", ChangePasswordPayload, credentials.change_password
)


@strawberry.input(description="Ask for a password-reset e-mail.")
class RequestPasswordResetInput:
    access_code: str = strawberry.field(description="Your access code.")


@strawberry.type(description="Always the same answer, whether or not the code exists.")
class RequestPasswordResetPayload:
    message: str = strawberry.field(description="What happens next.")


RequestPasswordResetResult = result_union(
    "requestPasswordReset", RequestPasswordResetPayload, recovery.request_password_reset
)


@strawberry.input(description="Set a new password with the token from the reset e-mail.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The token from the e-mail.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.type(description="The password was set; every session of the account ended.")
class ResetPasswordPayload:
    message: str = strawberry.field(description="Confirmation for people to read.")


ResetPasswordResult = result_union("resetPassword", ResetPasswordPayload, recovery.reset_password)

# ---- new access code -----------------------------------------------------------------------


@strawberry.input(description="Lost your access code? Ask for a new one (the old one then stops).")
class RequestNewAccessCodeInput:
    email: str = strawberry.field(description="The e-mail address of the account.")
    kvk_number: str | None = strawberry.field(
        default=None, description="For a business code: the organisation's KVK number."
    )


@strawberry.type(description="Always the same answer, whether or not an account matches.")
class RequestNewAccessCodePayload:
    message: str = strawberry.field(description="What happens next.")


RequestNewAccessCodeResult = result_union(
    "requestNewAccessCode", RequestNewAccessCodePayload, recovery.request_new_access_code
)


@strawberry.input(description="Confirm the new access code with the token from the e-mail.")
class ConfirmNewAccessCodeInput:
    token: str = strawberry.field(description="The token from the e-mail.")


@strawberry.type(description="A new access code was issued; the old one no longer works.")
class ConfirmNewAccessCodePayload:
    delivery: DeliveryChannel = strawberry.field(description="How the new code is sent.")
    message: str = strawberry.field(description="What happens next.")


ConfirmNewAccessCodeResult = result_union(
    "confirmNewAccessCode", ConfirmNewAccessCodePayload, recovery.confirm_new_access_code
)


# ---- the staff check ------------------------------------------------------------------------


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


@strawberry.input(description="Approve a business access-code request.")
class StaffApproveAccessCodeRequestInput:
    request_id: strawberry.ID = strawberry.field(description="Global id of the request.")


@strawberry.type(description="Approved: the account exists and its code is on its way.")
class StaffApproveAccessCodeRequestPayload:
    request: AccessCodeRequest = strawberry.field(description="The request, now APPROVED.")


StaffApproveAccessCodeRequestResult = result_union(
    "staffApproveAccessCodeRequest",
    StaffApproveAccessCodeRequestPayload,
    applications.approve_request,
)


@strawberry.input(description="Reject a business access-code request.")
class StaffRejectAccessCodeRequestInput:
    request_id: strawberry.ID = strawberry.field(description="Global id of the request.")
    reason: str = strawberry.field(description="Why; it is e-mailed to the applicant.")


@strawberry.type(description="Rejected: the applicant was told why.")
class StaffRejectAccessCodeRequestPayload:
    request: AccessCodeRequest = strawberry.field(description="The request, now REJECTED.")


StaffRejectAccessCodeRequestResult = result_union(
    "staffRejectAccessCodeRequest",
    StaffRejectAccessCodeRequestPayload,
    applications.reject_request,
)


# ---- an organisation's codes -----------------------------------------------------------------


@strawberry.type(description="An access code of an organisation, as staff see it.")
class OrganisationCode:
    id: strawberry.ID = strawberry.field(
        description="Global id of the account (a Viewer id): the `accountId` of "
        "staffDeactivateAccessCode and staffMakeMainUser."
    )
    name: str = strawberry.field(description="The holder's name.")
    email: str = strawberry.field(description="The holder's e-mail address.")
    access_code: str = strawberry.field(
        description="The access code, masked: only its last four characters."
    )
    kvk_number: str = strawberry.field(description="The organisation's KVK number.")
    is_main_user: bool = strawberry.field(
        description="The organisation's main user: sees every order and invoice of its codes "
        "and changes its mandate. At most one active code of an organisation is."
    )
    active: bool = strawberry.field(
        description="False once deactivated: the code no longer signs in."
    )
    created_at: datetime = strawberry.field(description="When the code was issued.")


@strawberry.input(description="Deactivate an access code of an organisation.")
class StaffDeactivateAccessCodeInput:
    account_id: strawberry.ID = strawberry.field(
        description="Global id of the account (OrganisationCode.id)."
    )


@strawberry.type(
    description="Deactivated: the code no longer signs in, its sessions ended, and the "
    "organisation was told at its registered address."
)
class StaffDeactivateAccessCodePayload:
    account: OrganisationCode = strawberry.field(description="The code, now inactive.")


StaffDeactivateAccessCodeResult = result_union(
    "staffDeactivateAccessCode",
    StaffDeactivateAccessCodePayload,
    organisation.staff_deactivate_access_code,
)


@strawberry.input(description="Name an active access code the organisation's main user.")
class StaffMakeMainUserInput:
    account_id: strawberry.ID = strawberry.field(
        description="Global id of the account (OrganisationCode.id)."
    )


@strawberry.type(
    description="The code is the organisation's main user now; the organisation was told at "
    "its registered address."
)
class StaffMakeMainUserPayload:
    account: OrganisationCode = strawberry.field(description="The new main user.")
    previous_main_user: OrganisationCode | None = strawberry.field(
        description="The code that was the main user until now; null when there was none."
    )


StaffMakeMainUserResult = result_union(
    "staffMakeMainUser", StaffMakeMainUserPayload, organisation.staff_make_main_user
)
