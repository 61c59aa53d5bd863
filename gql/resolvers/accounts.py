"""Resolvers of the accounts domain: thin, one service call each."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql import i18n
from gql.context import Context
from gql.models.accounts import Account
from gql.resolvers.common import INPUT, error_result, require_account
from gql.schema.types import accounts as t
from gql.schema.types.common import to_global_id
from gql.services import access_codes, accounts, recovery
from gql.services.errors import DomainError
from gql.services.payments import MandateInput

Inf = Info[Context, None]


def viewer_from_row(row: Account, ctx: Context, session_expires_at: object = None) -> t.Viewer:
    assert row.id is not None
    expires = session_expires_at or (ctx.session.expires_at if ctx.session else None)
    return t.Viewer(
        id=to_global_id("Viewer", row.id),
        access_code=access_codes.display(row.access_code),
        usage=t.AccountUsage(row.usage),
        name=row.name,
        email=row.email,
        kvk_number=row.kvk_number,
        is_main_user=row.is_main_user,
        session_expires_at=expires,  # type: ignore[arg-type]
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
    )


async def request_access_code(
    info: Inf, input: Annotated[t.RequestAccessCodeInput, INPUT]
) -> t.RequestAccessCodeResult:
    ctx = info.context
    mandate = (
        MandateInput(input.mandate.iban, input.mandate.account_holder, input.mandate.consent)
        if input.mandate
        else None
    )
    try:
        outcome = await accounts.request_access_code(
            ctx.deps,
            caller=ctx.caller,
            application=accounts.AccessCodeApplication(
                usage=input.usage.name,
                name=input.name,
                email=input.email,
                password=input.password,
                kvk_number=input.kvk_number,
                mandate=mandate,
            ),
        )
    except DomainError as exc:
        return error_result(exc, ctx.language)
    if outcome.expected_by is None:
        return t.RequestAccessCodePayload(
            usage=t.AccountUsage.PRIVATE,
            delivery=t.DeliveryChannel.EMAIL,
            expected_by=None,
            message=i18n.text("private_code_sent", ctx.language, email=outcome.email),
        )
    return t.RequestAccessCodePayload(
        usage=t.AccountUsage.BUSINESS,
        delivery=None,
        expected_by=outcome.expected_by,
        message=i18n.text(
            "business_request_received",
            ctx.language,
            expected_by=accounts.format_date(outcome.expected_by, ctx.language),
        ),
    )


async def log_in(info: Inf, input: Annotated[t.LogInInput, INPUT]) -> t.LogInResult:
    ctx = info.context
    try:
        signed_in = await accounts.log_in(
            ctx.deps,
            caller=ctx.caller,
            access_code=input.access_code,
            password=input.password,
            totp=input.totp,
            kind=input.session.name,
        )
        row = await accounts.get_account(ctx.deps, account_id=signed_in.account_id)
    except DomainError as exc:
        return error_result(exc, ctx.language)
    assert row is not None
    token: str | None = signed_in.token
    if input.session is t.SessionKind.COOKIE:
        ctx.set_session_cookie(signed_in.token, signed_in.expires_at)
        token = None
    idle_end = min(signed_in.expires_at, ctx.deps.clock.now() + accounts.sessions.IDLE_TIMEOUT)
    return t.LogInPayload(
        viewer=viewer_from_row(row, ctx, idle_end),
        token=token,
        expires_at=signed_in.expires_at,
    )


async def log_out(info: Inf, input: Annotated[t.LogOutInput, INPUT]) -> t.LogOutResult:
    ctx = info.context
    require_account(info)
    try:
        await accounts.log_out(ctx.deps, caller=ctx.caller)
    except DomainError as exc:
        return error_result(exc, ctx.language)
    ctx.clear_session_cookie()
    return t.LogOutPayload(client_mutation_id=input.client_mutation_id)


async def change_password(
    info: Inf, input: Annotated[t.ChangePasswordInput, INPUT]
) -> t.ChangePasswordResult:
    ctx = info.context
    caller = require_account(info)
    try:
        await accounts.change_password(
            ctx.deps,
            caller=caller,
            current_password=input.current_password,
            new_password=input.new_password,
        )
        row = await accounts.get_account(ctx.deps, account_id=caller.account_id or 0)
    except DomainError as exc:
        return error_result(exc, ctx.language)
    assert row is not None
    return t.ChangePasswordPayload(
        viewer=viewer_from_row(row, ctx), message=i18n.text("password_changed", ctx.language)
    )


async def request_password_reset(
    info: Inf, input: Annotated[t.RequestPasswordResetInput, INPUT]
) -> t.RequestPasswordResetResult:
    ctx = info.context
    try:
        await recovery.request_password_reset(
            ctx.deps, caller=ctx.caller, access_code=input.access_code
        )
    except DomainError as exc:
        return error_result(exc, ctx.language)
    return t.RequestPasswordResetPayload(message=i18n.text("reset_requested", ctx.language))


async def reset_password(
    info: Inf, input: Annotated[t.ResetPasswordInput, INPUT]
) -> t.ResetPasswordResult:
    ctx = info.context
    try:
        await recovery.reset_password(
            ctx.deps, caller=ctx.caller, token=input.token, new_password=input.new_password
        )
    except DomainError as exc:
        return error_result(exc, ctx.language)
    if ctx.session is not None:
        ctx.clear_session_cookie()
    return t.ResetPasswordPayload(message=i18n.text("password_reset_done", ctx.language))


async def request_new_access_code(
    info: Inf, input: Annotated[t.RequestNewAccessCodeInput, INPUT]
) -> t.RequestNewAccessCodeResult:
    ctx = info.context
    try:
        await recovery.request_new_access_code(
            ctx.deps, caller=ctx.caller, email=input.email, kvk_number=input.kvk_number
        )
    except DomainError as exc:
        return error_result(exc, ctx.language)
    return t.RequestNewAccessCodePayload(message=i18n.text("new_code_requested", ctx.language))


async def confirm_new_access_code(
    info: Inf, input: Annotated[t.ConfirmNewAccessCodeInput, INPUT]
) -> t.ConfirmNewAccessCodeResult:
    ctx = info.context
    try:
        outcome = await recovery.confirm_new_access_code(
            ctx.deps, caller=ctx.caller, token=input.token
        )
    except DomainError as exc:
        return error_result(exc, ctx.language)
    key = "new_code_by_email" if outcome.channel == "EMAIL" else "new_code_by_post"
    return t.ConfirmNewAccessCodePayload(
        delivery=t.DeliveryChannel(outcome.channel), message=i18n.text(key, ctx.language)
    )


@strawberry.type
class Query:
    viewer: t.Viewer | None = strawberry.field(
        resolver=viewer, description="The signed-in account; null when not signed in."
    )


@strawberry.type
class Mutation:
    request_access_code: t.RequestAccessCodeResult = strawberry.mutation(
        resolver=request_access_code,
        description="Apply for an access code. PRIVATE: issued at once and e-mailed. BUSINESS: "
        "checked by staff, then sent by e-mail or post by `expectedBy`.",
    )
    log_in: t.LogInResult = strawberry.mutation(
        resolver=log_in, description="Sign in; a cookie session (default) or a bearer token."
    )
    log_out: t.LogOutResult = strawberry.mutation(
        resolver=log_out, description="End the current session server side."
    )
    change_password: t.ChangePasswordResult = strawberry.mutation(
        resolver=change_password, description="Change the password; other sessions end."
    )
    request_password_reset: t.RequestPasswordResetResult = strawberry.mutation(
        resolver=request_password_reset,
        description="E-mail a single-use reset link (always the same answer).",
    )
    reset_password: t.ResetPasswordResult = strawberry.mutation(
        resolver=reset_password,
        description="Set a new password with the e-mailed token; every session ends.",
    )
    request_new_access_code: t.RequestNewAccessCodeResult = strawberry.mutation(
        resolver=request_new_access_code,
        description="Lost access code: e-mail a confirmation link for a NEW code (same answer).",
    )
    confirm_new_access_code: t.ConfirmNewAccessCodeResult = strawberry.mutation(
        resolver=confirm_new_access_code,
        description="Confirm: the old code stops working and the new one is sent.",
    )
