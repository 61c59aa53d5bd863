"""Resolver of the balance statement: a month of the ledger, with links to its PDF and CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gql.context import Context
from gql.files.access import signed_path_link
from gql.resolvers.common import DomainErrors, Inf
from gql.schema.types import statements as t
from gql.schema.types.balance import TransactionKind
from gql.services.ledger import balance, statements


def _link(ctx: Context, path: str) -> tuple[str, datetime | None]:
    """A cookie session's plain link, or a bearer client's signed one; in the request's
    language."""
    lang = "lang=en" if ctx.language == "en" else ""
    if ctx.caller.bearer and ctx.caller.account_id is not None:
        url, expires = signed_path_link(
            ctx.deps.settings, path=path, account_id=ctx.caller.account_id, now=ctx.deps.clock.now()
        )
        return (f"{url}&{lang}" if lang else url), expires
    url = ctx.deps.settings.public_url + path
    return (f"{url}?{lang}" if lang else url), None


async def balance_statement(
    info: Inf,
    month: Annotated[
        str, strawberry.argument(description="The month, as YYYY-MM (Europe/Amsterdam).")
    ],
) -> t.BalanceStatementResult:
    ctx = info.context
    made = await statements.balance_statement(ctx.deps, caller=ctx.caller, month=month)
    pdf_url, expires = _link(ctx, statements.statement_path(made.month, "pdf"))
    csv_url, _ = _link(ctx, statements.statement_path(made.month, "csv"))
    return t.BalanceStatement(
        month=made.month,
        starts_at=made.starts_at,
        ends_at=made.ends_at,
        complete=made.complete,
        opening_cents=made.opening_cents,
        opening_held_cents=made.opening_held_cents,
        closing_cents=made.closing_cents,
        closing_held_cents=made.closing_held_cents,
        entries=[
            t.BalanceStatementEntry(
                at=line.at,
                kind=TransactionKind(line.kind.value),
                description=balance.describe(line.kind, ctx.language),
                amount_cents=line.amount_cents,
                held_delta_cents=line.held_delta_cents,
                balance_cents=line.balance_cents,
                held_cents=line.held_cents,
            )
            for line in made.lines
        ],
        pdf_url=pdf_url,
        csv_url=csv_url,
        download_expires_at=expires,
    )


@strawberry.type
class Query:
    balance_statement: t.BalanceStatementResult = strawberry.field(
        resolver=balance_statement,
        extensions=[DomainErrors()],
        description="The statement of your balance for one month (private accounts; FORBIDDEN "
        "for business and staff accounts): opening balance, every entry and closing balance, "
        "with its PDF and CSV. A month not begun yet is InvalidInput on `month`.",
    )
