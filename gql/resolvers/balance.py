"""Resolvers of the balance: the ledger, refund requests and their decision by staff."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.ledger import RefundRequest as RefundRequestRow
from gql.models.ledger import RefundStatus
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    mutation,
    page_args,
    require_staff,
)
from gql.resolvers.node import register_node
from gql.schema.types import balance as t
from gql.schema.types.common import Connection
from gql.schema.types.ids import key_of, to_global_id
from gql.services.ledger import balance, refunds
from gql.services.shared.formatting import format_cents


def refund_type(ctx: Context, view: refunds.RefundView) -> t.RefundRequest:
    staff = ctx.caller.is_staff
    return t.RefundRequest(
        id=to_global_id("RefundRequest", view.id),
        amount_cents=view.amount_cents,
        status=t.RefundStatus(view.status.value),
        iban_masked=view.iban_masked,
        account_holder=view.account_holder,
        reason=view.reason,
        requested_at=view.requested_at,
        decided_at=view.decided_at,
        rejection_reason=view.rejection_reason,
        iban=view.iban if staff else None,
        iban_funded_balance=view.iban_funded_balance if staff else None,
        requested_by=view.requested_by if staff else None,
    )


@strawberry.type(
    description="The prepaid balance of a private account: an append-only ledger in cents."
)
class Balance:
    balance_cents: int = strawberry.field(
        description="The balance: the sum of every transaction's amountCents."
    )
    held_cents: int = strawberry.field(
        description="Held for refund requests not yet decided: the sum of the heldDeltaCents."
    )
    available_cents: int = strawberry.field(
        description="What orders and new refund requests can spend: balance minus held."
    )
    account_id: strawberry.Private[int]

    @strawberry.field(description="The ledger, newest first.")
    async def transactions(
        self,
        info: Inf,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.BalanceTransaction]:
        language = info.context.language
        page = page_args(first, after, language)
        entries = await balance.entries(
            info.context.deps,
            account_id=self.account_id,
            before_id=page.after_key,
            limit=page.limit + 1,
        )
        return connection(
            entries,
            page,
            node=lambda e: t.BalanceTransaction(
                kind=t.TransactionKind(e.kind),
                amount_cents=e.amount_cents,
                held_delta_cents=e.held_delta_cents,
                description=balance.describe(e.kind, language),
                created_at=e.created_at,
            ),
            key=lambda e: e.id,
        )

    @strawberry.field(description="Your refund requests and their status, newest first.")
    async def refund_requests(
        self,
        info: Inf,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.RefundRequest]:
        ctx = info.context
        page = page_args(first, after, ctx.language)
        views = await refunds.list_refunds(
            ctx.deps, account_id=self.account_id, before_id=page.after_key, limit=page.limit + 1
        )
        return connection(views, page, node=lambda v: refund_type(ctx, v), key=lambda v: v.id)


async def balance_of(info: Inf) -> Balance:
    ctx = info.context
    account = await refunds.private_account(ctx.deps, ctx.caller)
    assert account.id is not None
    view = await balance.balance_of(ctx.deps, account_id=account.id)
    return Balance(
        balance_cents=view.balance_cents,
        held_cents=view.held_cents,
        available_cents=view.available_cents,
        account_id=account.id,
    )


async def request_refund(
    info: Inf, input: Annotated[t.RequestRefundInput, INPUT]
) -> t.RequestRefundResult:
    ctx = info.context
    view = await refunds.request_refund(
        ctx.deps,
        caller=ctx.caller,
        amount_cents=input.amount_cents,
        iban=input.iban,
        account_holder=input.account_holder,
        reason=input.reason,
    )
    return t.RequestRefundPayload(
        refund_request=refund_type(ctx, view),
        message=i18n.text(
            "refund_requested", ctx.language, amount=format_cents(view.amount_cents, ctx.language)
        ),
    )


async def staff_approve_refund(
    info: Inf, input: Annotated[t.StaffApproveRefundInput, INPUT]
) -> t.StaffApproveRefundResult:
    ctx = info.context
    view = await refunds.approve_refund(
        ctx.deps,
        caller=require_staff(info),
        refund_id=key_of(input.refund_request_id, "RefundRequest"),
    )
    return t.StaffApproveRefundPayload(refund_request=refund_type(ctx, view))


async def staff_reject_refund(
    info: Inf, input: Annotated[t.StaffRejectRefundInput, INPUT]
) -> t.StaffRejectRefundResult:
    ctx = info.context
    view = await refunds.reject_refund(
        ctx.deps,
        caller=require_staff(info),
        refund_id=key_of(input.refund_request_id, "RefundRequest"),
        reason=input.reason,
    )
    return t.StaffRejectRefundPayload(refund_request=refund_type(ctx, view))


async def _load_refund(ctx: Context, pk: int) -> t.RefundRequest | None:
    view = await refunds.get_refund(ctx.deps, caller=ctx.caller, refund_id=pk)
    return refund_type(ctx, view) if view else None


register_node("RefundRequest", table=RefundRequestRow, load=_load_refund)


@strawberry.type
class Query:
    balance: Balance = strawberry.field(
        resolver=balance_of,
        description="Your balance (private accounts; FORBIDDEN for business and staff "
        "accounts, which have none).",
    )


@strawberry.type
class Mutation:
    request_refund: t.RequestRefundResult = mutation(
        request_refund,
        description="Ask unused balance back (the return form): the amount is held at once "
        "and the service decides; a confirmation e-mail goes out.",
    )
    staff_approve_refund: t.StaffApproveRefundResult = mutation(
        staff_approve_refund,
        description="Staff: approve a refund request (audited); it is paid out by bank "
        "transfer and the customer is told.",
    )
    staff_reject_refund: t.StaffRejectRefundResult = mutation(
        staff_reject_refund,
        description="Staff: reject a refund request with a reason (audited); the hold is "
        "released and the customer is told.",
    )


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description="Refund requests of every account, newest first, with whether the IBAN "
        "ever funded the balance."
    )
    async def refund_requests(
        self,
        info: Inf,
        status: Annotated[
            t.RefundStatus | None, strawberry.argument(description="Only requests in this status.")
        ] = None,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.RefundRequest]:
        require_staff(info)
        ctx = info.context
        page = page_args(first, after, ctx.language)
        views = await refunds.list_refunds(
            ctx.deps,
            account_id=None,
            status=RefundStatus(status.name) if status else None,
            before_id=page.after_key,
            limit=page.limit + 1,
        )
        return connection(views, page, node=lambda v: refund_type(ctx, v), key=lambda v: v.id)
