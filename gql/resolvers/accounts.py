"""Resolvers of the accounts domain: thin, one service call each."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.accounts import AccessCodeRequest as AccessCodeRequestRow
from gql.models.accounts import Account, AuthSession, RequestStatus, SessionKind, Usage
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    mutation,
    page_args,
    require_account,
    require_staff,
)
from gql.resolvers.node import register_node
from gql.schema.types import accounts as t
from gql.schema.types.common import Connection
from gql.schema.types.ids import key_of, to_global_id
from gql.services import mandates
from gql.services.accounts import (
    access_codes,
    applications,
    credentials,
    device_sessions,
    organisation,
    recovery,
    sessions,
    sign_in,
)
from gql.services.accounts.accounts import AccountView, get_account
from gql.services.shared.formatting import format_date


def viewer_type(account: AccountView, session_expires_at: object) -> t.Viewer:
    return t.Viewer(
        id=to_global_id("Viewer", account.id),
        access_code=access_codes.display(account.access_code),
        usage=t.AccountUsage(account.usage),
        name=account.name,
        email=account.email,
        kvk_number=account.kvk_number,
        is_main_user=account.is_main_user,
        session_expires_at=session_expires_at,  # type: ignore[arg-type]
        list_sessions=viewer_sessions,
    )


def viewer(info: Inf) -> t.Viewer | None:
    # No query of its own: the account's columns came with the session (sessions.resolve),
    # and a plain function is cheaper for graphql-core than a coroutine.
    session = info.context.session
    if session is None:
        return None
    account = session.account
    return t.Viewer(
        id=to_global_id("Viewer", session.account_id),
        access_code=access_codes.display(account.access_code),
        usage=t.AccountUsage(session.usage),
        name=account.name,
        email=account.email,
        kvk_number=account.kvk_number,
        is_main_user=account.is_main_user,
        session_expires_at=session.expires_at,
        list_sessions=viewer_sessions,
    )


async def viewer_sessions(info: Inf, first: int | None, after: str | None) -> Connection[t.Session]:
    page = page_args(first, after, info.context.language)
    views = await sessions.list_sessions(
        info.context.deps,
        caller=require_account(info),
        before_id=page.after_key,
        limit=page.limit + 1,
    )
    return connection(views, page, node=_session_node, key=lambda v: v.id)


def _session_node(view: sessions.SessionView) -> t.Session:
    return t.session_type(view, to_global_id("Session", view.id))


def _session_expiry(ctx: Context) -> object:
    return ctx.session.expires_at if ctx.session else None


def _application(input: t.RequestAccessCodeInput) -> applications.AccessCodeApplication:
    mandate = input.mandate
    return applications.AccessCodeApplication(
        usage=Usage(input.usage.name),
        name=input.name,
        email=input.email,
        password=input.password,
        kvk_number=input.kvk_number,
        mandate=mandates.MandateInput(mandate.iban, mandate.account_holder, mandate.consent)
        if mandate
        else None,
    )


def _application_message(outcome: applications.ApplicationOutcome, language: str) -> str:
    if outcome.expected_by is None:
        return i18n.text("private_code_sent", language, email=outcome.email)
    expected_by = format_date(outcome.expected_by, language)
    return i18n.text("business_request_received", language, expected_by=expected_by)


async def request_access_code(
    info: Inf, input: Annotated[t.RequestAccessCodeInput, INPUT]
) -> t.RequestAccessCodeResult:
    ctx = info.context
    outcome = await applications.request_access_code(
        ctx.deps, caller=ctx.caller, application=_application(input)
    )
    return t.RequestAccessCodePayload(
        usage=t.AccountUsage(outcome.usage),
        delivery=t.DeliveryChannel(outcome.delivery) if outcome.delivery else None,
        expected_by=outcome.expected_by,
        message=_application_message(outcome, ctx.language),
    )


async def log_in(info: Inf, input: Annotated[t.LogInInput, INPUT]) -> t.LogInResult:
    # Longer than most: besides the one call, it hands the session to the transport the
    # client asked for (a cookie set on the response, or the token in the payload).
    ctx = info.context
    signed_in = await sign_in.log_in(
        ctx.deps,
        caller=ctx.caller,
        access_code=input.access_code,
        password=input.password,
        totp=input.totp,
        kind=SessionKind(input.session.name),
        device_name=input.device_name,
    )
    if input.session is t.SessionKind.COOKIE:
        ctx.set_session_cookie(signed_in.token, signed_in.expires_at)
        return t.LogInPayload(
            viewer=viewer_type(signed_in.account, signed_in.idle_expires_at),
            token=None,
            refresh_token=None,
            token_expires_at=None,
            expires_at=signed_in.expires_at,
        )
    return t.LogInPayload(
        viewer=viewer_type(signed_in.account, signed_in.idle_expires_at),
        token=signed_in.token,
        refresh_token=signed_in.refresh_token,
        token_expires_at=signed_in.idle_expires_at,
        expires_at=signed_in.expires_at,
    )


async def refresh_session(
    info: Inf, input: Annotated[t.RefreshSessionInput, INPUT]
) -> t.RefreshSessionResult:
    ctx = info.context
    pair = await device_sessions.refresh_session(
        ctx.deps, caller=ctx.caller, refresh_token=input.refresh_token
    )
    return t.RefreshSessionPayload(
        token=pair.access_token,
        token_expires_at=pair.access_expires_at,
        refresh_token=pair.refresh_token,
        expires_at=pair.session_expires_at,
    )


async def end_session(info: Inf, input: Annotated[t.EndSessionInput, INPUT]) -> t.EndSessionResult:
    ctx = info.context
    caller = require_account(info)
    session_id = key_of(input.session_id, "Session")
    if await sessions.end_session(ctx.deps, caller=caller, session_id=session_id):
        ctx.clear_session_cookie()
    return t.EndSessionPayload(ended_session_id=input.session_id)


async def end_other_sessions(
    info: Inf, input: Annotated[t.EndOtherSessionsInput, INPUT]
) -> t.EndOtherSessionsResult:
    ctx = info.context
    await sessions.end_other_sessions(
        ctx.deps, caller=require_account(info), client_mutation_id=input.client_mutation_id
    )
    return t.EndOtherSessionsPayload(client_mutation_id=input.client_mutation_id)


async def log_out(info: Inf, input: Annotated[t.LogOutInput, INPUT]) -> t.LogOutResult:
    ctx = info.context
    require_account(info)
    await sign_in.log_out(ctx.deps, caller=ctx.caller)
    ctx.clear_session_cookie()
    return t.LogOutPayload(client_mutation_id=input.client_mutation_id)


async def change_password(
    info: Inf, input: Annotated[t.ChangePasswordInput, INPUT]
) -> t.ChangePasswordResult:
    ctx = info.context
    account = await credentials.change_password(
        ctx.deps,
        caller=require_account(info),
        current_password=input.current_password,
        new_password=input.new_password,
    )
    return t.ChangePasswordPayload(
        viewer=viewer_type(account, _session_expiry(ctx)),
        message=i18n.text("password_changed", ctx.language),
    )


async def request_password_reset(
    info: Inf, input: Annotated[t.RequestPasswordResetInput, INPUT]
) -> t.RequestPasswordResetResult:
    ctx = info.context
    await recovery.request_password_reset(
        ctx.deps, caller=ctx.caller, access_code=input.access_code
    )
    return t.RequestPasswordResetPayload(message=i18n.text("reset_requested", ctx.language))


async def reset_password(
    info: Inf, input: Annotated[t.ResetPasswordInput, INPUT]
) -> t.ResetPasswordResult:
    ctx = info.context
    await recovery.reset_password(
        ctx.deps, caller=ctx.caller, token=input.token, new_password=input.new_password
    )
    if ctx.session is not None:
        ctx.clear_session_cookie()
    return t.ResetPasswordPayload(message=i18n.text("password_reset_done", ctx.language))


async def request_new_access_code(
    info: Inf, input: Annotated[t.RequestNewAccessCodeInput, INPUT]
) -> t.RequestNewAccessCodeResult:
    ctx = info.context
    await recovery.request_new_access_code(
        ctx.deps, caller=ctx.caller, email=input.email, kvk_number=input.kvk_number
    )
    return t.RequestNewAccessCodePayload(message=i18n.text("new_code_requested", ctx.language))


_NEW_CODE_SENT = {
    t.DeliveryChannel.EMAIL: "new_code_by_email",
    t.DeliveryChannel.POST: "new_code_by_post",
}


async def confirm_new_access_code(
    info: Inf, input: Annotated[t.ConfirmNewAccessCodeInput, INPUT]
) -> t.ConfirmNewAccessCodeResult:
    ctx = info.context
    channel = t.DeliveryChannel(
        await recovery.confirm_new_access_code(ctx.deps, caller=ctx.caller, token=input.token)
    )
    return t.ConfirmNewAccessCodePayload(
        delivery=channel, message=i18n.text(_NEW_CODE_SENT[channel], ctx.language)
    )


# ---- the staff check -----------------------------------------------------------------------


def request_type(view: applications.RequestView) -> t.AccessCodeRequest:
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
        delivered_by=t.DeliveryChannel(view.delivered_by) if view.delivered_by else None,
        has_mandate=view.has_mandate,
    )


def organisation_code_type(view: organisation.CodeView) -> t.OrganisationCode:
    return t.OrganisationCode(
        id=to_global_id("Viewer", view.id),
        name=view.name,
        email=view.email,
        access_code=view.masked_code,
        kvk_number=view.kvk_number,
        is_main_user=view.is_main_user,
        active=view.active,
        created_at=view.created_at,
    )


@strawberry.type
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
        # The length is the arguments' documentation; the body is one service call.
        require_staff(info)
        page = page_args(first, after, info.context.language)
        views = await applications.list_requests(
            info.context.deps,
            status=RequestStatus(status.name) if status else None,
            after_id=page.after_key,
            limit=page.limit + 1,
        )
        return connection(views, page, node=request_type, key=lambda v: v.id)

    @strawberry.field(
        description="The access codes of an organisation, active and deactivated, oldest "
        "first; empty when it has none."
    )
    async def organisation_codes(
        self,
        info: Inf,
        kvk_number: Annotated[
            str, strawberry.argument(description="The organisation's KVK number, 8 digits.")
        ],
    ) -> list[t.OrganisationCode]:
        require_staff(info)
        views = await organisation.list_codes(info.context.deps, kvk_number=kvk_number)
        return [organisation_code_type(v) for v in views]


async def staff_approve_access_code_request(
    info: Inf, input: Annotated[t.StaffApproveAccessCodeRequestInput, INPUT]
) -> t.StaffApproveAccessCodeRequestResult:
    view = await applications.approve_request(
        info.context.deps,
        caller=require_staff(info),
        request_id=key_of(input.request_id, "AccessCodeRequest"),
    )
    return t.StaffApproveAccessCodeRequestPayload(request=request_type(view))


async def staff_reject_access_code_request(
    info: Inf, input: Annotated[t.StaffRejectAccessCodeRequestInput, INPUT]
) -> t.StaffRejectAccessCodeRequestResult:
    view = await applications.reject_request(
        info.context.deps,
        caller=require_staff(info),
        request_id=key_of(input.request_id, "AccessCodeRequest"),
        reason=input.reason,
    )
    return t.StaffRejectAccessCodeRequestPayload(request=request_type(view))


async def staff_deactivate_access_code(
    info: Inf, input: Annotated[t.StaffDeactivateAccessCodeInput, INPUT]
) -> t.StaffDeactivateAccessCodeResult:
    view = await organisation.staff_deactivate_access_code(
        info.context.deps,
        caller=require_staff(info),
        account_id=key_of(input.account_id, "Viewer"),
    )
    return t.StaffDeactivateAccessCodePayload(account=organisation_code_type(view))


async def staff_make_main_user(
    info: Inf, input: Annotated[t.StaffMakeMainUserInput, INPUT]
) -> t.StaffMakeMainUserResult:
    change = await organisation.staff_make_main_user(
        info.context.deps,
        caller=require_staff(info),
        account_id=key_of(input.account_id, "Viewer"),
    )
    return t.StaffMakeMainUserPayload(
        account=organisation_code_type(change.account),
        previous_main_user=organisation_code_type(change.previous) if change.previous else None,
    )


# ---- node(id) ------------------------------------------------------------------------------


async def _load_viewer(ctx: Context, pk: int) -> t.Viewer | None:
    """Only the caller's own account."""
    if ctx.caller.account_id != pk:
        return None
    account = await get_account(ctx.deps, account_id=pk)
    return viewer_type(account, _session_expiry(ctx)) if account else None


async def _load_request(ctx: Context, pk: int) -> t.AccessCodeRequest | None:
    """Only for staff."""
    if not ctx.caller.is_staff:
        return None
    view = await applications.get_request(ctx.deps, request_id=pk)
    return request_type(view) if view else None


async def _load_session(ctx: Context, pk: int) -> t.Session | None:
    """Only the caller's own sessions that have not ended."""
    if ctx.caller.account_id is None:
        return None
    views = await sessions.list_sessions(ctx.deps, caller=ctx.caller, before_id=pk + 1, limit=1)
    return _session_node(views[0]) if views and views[0].id == pk else None


register_node("Viewer", table=Account, load=_load_viewer)
register_node("Session", table=AuthSession, load=_load_session)
register_node("AccessCodeRequest", table=AccessCodeRequestRow, load=_load_request)


@strawberry.type
class Query:
    viewer: t.Viewer | None = strawberry.field(
        resolver=viewer, description="The signed-in account; null when not signed in."
    )


@strawberry.type
class Mutation:
    request_access_code: t.RequestAccessCodeResult = mutation(
        request_access_code,
        description="Apply for an access code. PRIVATE: issued at once and e-mailed. BUSINESS: "
        "checked by staff, then sent by e-mail or post by `expectedBy`.",
    )
    log_in: t.LogInResult = mutation(
        log_in,
        description="Sign in; a cookie session (default) or a device session of a mobile app "
        "(an access and a refresh token).",
    )
    log_out: t.LogOutResult = mutation(
        log_out,
        description="End the current session server side (a device session: its whole chain).",
    )
    refresh_session: t.RefreshSessionResult = mutation(
        refresh_session,
        description="Device sessions: spend the refresh token for a new access and refresh "
        "token. Needs no bearer token. Any failure is InvalidToken: sign in again.",
    )
    end_session: t.EndSessionResult = mutation(
        end_session,
        description="End one of your sessions (browser or device); it stops working at once.",
    )
    end_other_sessions: t.EndOtherSessionsResult = mutation(
        end_other_sessions,
        description="End every session of your account but this one (sign out elsewhere).",
    )
    change_password: t.ChangePasswordResult = mutation(
        change_password, description="Change the password; other sessions end."
    )
    request_password_reset: t.RequestPasswordResetResult = mutation(
        request_password_reset,
        description="E-mail a single-use reset link (always the same answer).",
    )
    reset_password: t.ResetPasswordResult = mutation(
        reset_password,
        description="Set a new password with the e-mailed token; every session ends.",
    )
    request_new_access_code: t.RequestNewAccessCodeResult = mutation(
        request_new_access_code,
        description="Lost access code: e-mail a confirmation link for a NEW code (same answer).",
    )
    confirm_new_access_code: t.ConfirmNewAccessCodeResult = mutation(
        confirm_new_access_code,
        description="Confirm: the old code stops working and the new one is sent.",
    )
    staff_approve_access_code_request: t.StaffApproveAccessCodeRequestResult = mutation(
        staff_approve_access_code_request,
        description="Staff: approve a business request; the code goes by e-mail or post.",
    )
    staff_reject_access_code_request: t.StaffRejectAccessCodeRequestResult = mutation(
        staff_reject_access_code_request,
        description="Staff: reject a business request; the applicant is e-mailed the reason.",
    )
    staff_deactivate_access_code: t.StaffDeactivateAccessCodeResult = mutation(
        staff_deactivate_access_code,
        description="Staff: deactivate an organisation's access code (a person who left); it "
        "stops working at once. The main user only after another is named, unless it is the "
        "organisation's last active code. The organisation is told.",
    )
    staff_make_main_user: t.StaffMakeMainUserResult = mutation(
        staff_make_main_user,
        description="Staff: name an active access code the organisation's main user, in place "
        "of the previous one. The organisation is told.",
    )
