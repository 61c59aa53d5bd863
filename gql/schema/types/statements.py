"""Types of the balance statement: a month of the ledger with its opening and closing."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.types.balance import TransactionKind
from gql.schema.types.errors import result_union
from gql.services.ledger import statements


@strawberry.type(description="One entry of a balance statement, with the amounts after it.")
class BalanceStatementEntry:
    at: datetime = strawberry.field(description="When it was booked.")
    kind: TransactionKind = strawberry.field(description="What happened.")
    description: str = strawberry.field(description="What happened, for people to read.")
    amount_cents: int = strawberry.field(
        description="The change of the balance in cents (negative: money out)."
    )
    held_delta_cents: int = strawberry.field(
        description="The change of the amount held for refund requests, in cents."
    )
    balance_cents: int = strawberry.field(description="The balance after this entry.")
    held_cents: int = strawberry.field(description="The held amount after this entry.")


@strawberry.type(
    description="The statement of the balance for one calendar month (Europe/Amsterdam): the "
    "opening balance, every entry of the month and the closing balance, also as PDF and CSV. "
    "openingCents plus the entries' amountCents is closingCents."
)
class BalanceStatement:
    month: str = strawberry.field(description="The month, as YYYY-MM.")
    starts_at: datetime = strawberry.field(description="The month's first moment.")
    ends_at: datetime = strawberry.field(
        description="Where the statement ends: the first moment of the next month, or, while "
        "the month runs, the moment the statement was made."
    )
    complete: bool = strawberry.field(
        description="Whether the month is over: then the statement never changes."
    )
    opening_cents: int = strawberry.field(
        description="The balance at the start: the sum of every entry before the month."
    )
    opening_held_cents: int = strawberry.field(description="Held for refunds at the start.")
    closing_cents: int = strawberry.field(
        description="The balance at the end; for a month that is over, what `balance` was at "
        "its end."
    )
    closing_held_cents: int = strawberry.field(description="Held for refunds at the end.")
    entries: list[BalanceStatementEntry] = strawberry.field(
        description="Every entry of the month, oldest first."
    )
    pdf_url: str = strawberry.field(
        description="The statement as PDF: with the session cookie in a browser; for "
        "bearer-token clients a signed link that works for a few minutes."
    )
    csv_url: str = strawberry.field(
        description="The statement as CSV for a spreadsheet: semicolons, amounts in euros with "
        "a decimal comma, UTF-8 with a byte-order mark. Links as pdfUrl."
    )
    download_expires_at: datetime | None = strawberry.field(
        description="When signed links stop working (null for cookie sessions)."
    )


BalanceStatementResult = result_union(
    "balanceStatement", BalanceStatement, statements.balance_statement
)
