"""The balance statement of a month (private accounts): opening balance, every entry with the
balance after it, closing balance; months in Europe/Amsterdam (also across the change to
summer time); as PDF and CSV made on request, for the account itself and nobody else."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.accounts import Account
from gql.models.ledger import EntryKind, RefundRequest
from gql.services.ledger import balance
from tests.payments.support import sqlite_only
from tests.support.api import gql, http_client
from tests.support.factories import add_account, add_company, log_in, pdf_text

STATEMENT = """
query Statement($month: String!) {
  balanceStatement(month: $month) {
    __typename
    ... on BalanceStatement {
      month startsAt endsAt complete
      openingCents openingHeldCents closingCents closingHeldCents
      entries { at kind description amountCents heldDeltaCents balanceCents heldCents }
      pdfUrl csvUrl downloadExpiresAt
    }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

BALANCE = "query { balance { balanceCents heldCents } }"

NOW = datetime(2026, 4, 10, 10, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def account_id(app: Starlette, email: str) -> int:
    async with app.state.deps.db.read() as session:
        found = await session.scalar(select(Account.id).where(Account.email == email))
    assert found is not None
    return int(found)


# Anna's ledger from January to April 2026, each entry written at its own moment (UTC).
HISTORY = (
    ("2026-01-15T10:00:00", "top_up", 5000),
    # 23:59:59 on 31 January in Amsterdam (+01:00): still January.
    ("2026-01-31T22:59:59", "order", 700),
    # Midnight in Amsterdam: 1 February, although it is still 31 January in UTC.
    ("2026-01-31T23:00:00", "top_up", 2500),
    ("2026-02-10T12:00:00", "hold", 1000),
    ("2026-02-20T12:00:00", "release", 1000),
    ("2026-03-05T09:00:00", "hold", 2000),
    ("2026-03-10T09:00:00", "pay_out", 2000),
    # Summer time since 29 March (+02:00): 23:59:59 on 31 March is still March ...
    ("2026-03-31T21:59:59", "order", 1200),
    # ... and April begins an hour earlier in UTC than a month began in winter.
    ("2026-03-31T22:00:00", "top_up", 1000),
)


async def book_history(app: Starlette, account: int) -> None:
    """HISTORY through the ledger's own functions, as top-ups, orders and refunds do."""
    refund_id = 0
    async with app.state.deps.db.write() as session:
        for moment, step, cents in HISTORY:
            at = utc(moment)
            if step == "top_up":
                await balance.credit(
                    session, account_id=account, amount_cents=cents, kind=EntryKind.TOP_UP, now=at
                )
            elif step == "order":
                await balance.debit(
                    session, account_id=account, amount_cents=cents, kind=EntryKind.ORDER, now=at
                )
            elif step == "hold":
                refund = RefundRequest(account_id=account, amount_cents=cents, requested_at=at)
                session.add(refund)
                await session.flush()
                refund_id = int(refund.id or 0)
                await balance.hold(
                    session, account_id=account, amount_cents=cents, refund_id=refund_id, now=at
                )
            else:
                decide = balance.release if step == "release" else balance.pay_out
                await decide(
                    session, account_id=account, amount_cents=cents, refund_id=refund_id, now=at
                )
        await session.commit()


@asynccontextmanager
async def anna(app: Starlette, clock: FrozenClock, **login: Any) -> AsyncIterator[Any]:
    """Anna's private account with the history above, signed in on a client of her own;
    yields (client, login result)."""
    clock.set(NOW)
    code = await add_account(app, email="anna@example.nl", name="Anna de Vries")
    await book_history(app, await account_id(app, "anna@example.nl"))
    async with http_client(app) as client:
        signed_in = await log_in(client, code, **login)
        assert signed_in["__typename"] == "LogInPayload", signed_in
        yield client, signed_in


async def statement(
    client: httpx.AsyncClient, month: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    body = await gql(client, STATEMENT, {"month": month}, headers=headers)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["balanceStatement"]
    return result


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def money(text: str) -> str:
    """Babel writes '€ 68,00' with a no-break space; a PDF reader may give either."""
    return text.replace("\xa0", " ")


async def test_opening_plus_the_entries_is_the_closing_and_the_months_follow_each_other(
    app: Starlette, clock: FrozenClock
) -> None:
    async with anna(app, clock) as (client, _):
        # when
        months = {m: await statement(client, m) for m in ("2026-01", "2026-02", "2026-03")}
        april = await statement(client, "2026-04")
        now = (await gql(client, BALANCE))["data"]["balance"]
    # then: every statement adds up, entry by entry
    for made in [*months.values(), april]:
        assert made["__typename"] == "BalanceStatement", made
        running, held = made["openingCents"], made["openingHeldCents"]
        for entry in made["entries"]:
            running += entry["amountCents"]
            held += entry["heldDeltaCents"]
            assert (entry["balanceCents"], entry["heldCents"]) == (running, held)
        assert (made["closingCents"], made["closingHeldCents"]) == (running, held)
    january, february, march = months.values()
    assert (january["openingCents"], january["closingCents"]) == (0, 4300)
    assert [e["amountCents"] for e in january["entries"]] == [5000, -700]
    assert (february["openingCents"], february["closingCents"]) == (4300, 6800)
    assert [e["kind"] for e in february["entries"]] == ["TOP_UP", "REFUND_HOLD", "HOLD_RELEASE"]
    assert february["entries"][0]["at"] == "2026-01-31T23:00:00+00:00"
    assert (february["startsAt"], february["endsAt"]) == (
        "2026-01-31T23:00:00+00:00",
        "2026-02-28T23:00:00+00:00",
    )
    assert (march["openingCents"], march["closingCents"]) == (6800, 3600)
    assert [(e["kind"], e["balanceCents"], e["heldCents"]) for e in march["entries"]] == [
        ("REFUND_HOLD", 6800, 2000),
        ("REFUND_PAYOUT", 4800, 0),
        ("ORDER", 3600, 0),
    ]
    assert march["endsAt"] == "2026-03-31T22:00:00+00:00"  # summer time: +02:00
    assert [m["complete"] for m in months.values()] == [True, True, True]
    # the running month: up to now, and its closing is the balance now
    assert (april["openingCents"], april["complete"]) == (3600, False)
    assert april["endsAt"] == NOW.isoformat()
    assert [e["amountCents"] for e in april["entries"]] == [1000]
    assert (april["closingCents"], april["closingHeldCents"]) == (
        now["balanceCents"],
        now["heldCents"],
    )


@sqlite_only
async def test_the_pdf_and_the_csv_carry_the_statement_and_a_past_month_never_changes(
    app: Starlette, clock: FrozenClock
) -> None:
    async with anna(app, clock) as (client, _):
        march = await statement(client, "2026-03")
        english = await statement(client, "2026-03", headers={"accept-language": "en"})
        # when
        pdf = await client.get(path_of(march["pdfUrl"]))
        clock.advance(minutes=20)
        pdf_again = await client.get(path_of(march["pdfUrl"]))
        csv_file = await client.get(path_of(march["csvUrl"]))
        english_csv = await client.get(path_of(english["csvUrl"]))
    # then
    assert march["pdfUrl"] == "http://127.0.0.1:8000/saldo/overzicht/2026-03.pdf"
    assert march["downloadExpiresAt"] is None  # a cookie session
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith(
        'attachment; filename="saldo-overzicht-2026-03.pdf"'
    )
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf_again.content == pdf.content
    text = money(pdf_text(pdf.content))
    for expected in (
        "Saldo-overzicht maart 2026",
        "Anna de Vries",
        "1 maart 2026 tot en met 31 maart 2026",
        "Beginsaldo € 68,00",
        "Eindsaldo € 36,00",
        "31-03-2026 23:59 (+0200) Bestelling € -12,00",
    ):
        assert expected in text, expected
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Datum en tijd", "Soort", "Omschrijving", "Bedrag (EUR)"]
    assert [r[1] for r in rows[1:]] == [
        "OPENING",
        "REFUND_HOLD",
        "REFUND_PAYOUT",
        "ORDER",
        "CLOSING",
    ]
    assert rows[1][5] == "68,00" and rows[-1][5] == "36,00"
    assert rows[4] == [
        "2026-03-31T23:59:59+02:00",
        "ORDER",
        "Bestelling",
        "-12,00",
        "0,00",
        "36,00",
        "0,00",
    ]

    def euros(value: str) -> Decimal:
        return Decimal(value.replace(",", "."))

    assert euros(rows[1][5]) + sum(euros(r[3]) for r in rows[2:-1]) == euros(rows[-1][5])
    assert english["csvUrl"].endswith("/saldo/overzicht/2026-03.csv?lang=en")
    english_rows = list(
        csv.reader(io.StringIO(english_csv.content.decode("utf-8-sig")), delimiter=";")
    )
    assert english_rows[0][0] == "Date and time"
    assert english_rows[4][2] == "Order"


@sqlite_only
async def test_a_month_not_begun_or_malformed_is_invalid_input_naming_month(
    app: Starlette, clock: FrozenClock
) -> None:
    async with anna(app, clock) as (client, _):
        # when
        future = await statement(client, "2026-05")
        malformed = await statement(client, "2026-4")
        before = await statement(client, "1999-12")
        download = await client.get("/saldo/overzicht/2026-05.pdf")
        odd_name = await client.get("/saldo/overzicht/2026-04.xlsx")
    # then
    assert (future["__typename"], future["field"]) == ("InvalidInput", ["month"])
    assert "nog niet begonnen" in future["message"]
    assert [p["field"] for p in malformed["problems"]] == [["month"]]
    assert "JJJJ-MM" in malformed["message"]
    assert [p["field"] for p in before["problems"]] == [["month"]]
    assert (download.status_code, odd_name.status_code) == (404, 404)


@sqlite_only
async def test_only_the_account_itself_gets_its_statement_others_get_404_like_a_missing_file(
    app: Starlette, clock: FrozenClock, staff: httpx.AsyncClient
) -> None:
    # given: Anna signed in with a bearer token (a mobile app), a business account, a second
    # private account
    await add_company(app)
    business_code = await add_account(
        app, usage="BUSINESS", kvk_number="12345678", email="bea@example.nl"
    )
    other_code = await add_account(app, email="vera@example.nl", name="Vera Vreemd")
    async with anna(app, clock, session="TOKEN") as (phone, signed_in):
        bearer = {"authorization": f"Bearer {signed_in['token']}"}
        march = await statement(phone, "2026-03", headers=bearer)
        link = urlsplit(march["pdfUrl"])
        query = dict(parse_qsl(link.query))
        someone_else = urlencode({**query, "account": str(int(query["account"]) + 1)})
        async with http_client(app) as nobody:
            # when
            by_link = await nobody.get(path_of(march["pdfUrl"]))
            other_account = await nobody.get(f"{link.path}?{someone_else}")
            other_path = await nobody.get(f"/saldo/overzicht/2026-02.pdf?{link.query}")
            plain = await nobody.get(link.path)
            anonymous = await gql(nobody, STATEMENT, {"month": "2026-03"})
            clock.advance(seconds=301)
            expired = await nobody.get(path_of(march["pdfUrl"]))
        async with http_client(app) as business:
            await log_in(business, business_code)
            forbidden = await gql(business, STATEMENT, {"month": "2026-03"})
            business_download = await business.get(link.path)
        staff_download = await staff.get(link.path)
        async with http_client(app) as other:
            await log_in(other, other_code)
            own = await other.get(link.path)
    # then
    assert march["downloadExpiresAt"] is not None
    assert by_link.status_code == 200 and "Anna de Vries" in pdf_text(by_link.content)
    for refused in (other_account, other_path, plain, expired, business_download, staff_download):
        assert refused.status_code == 404
        assert refused.json() == {"errors": [{"message": "Not found."}]}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the same address gives another private account its own statement, never Anna's
    assert own.status_code == 200
    own_text = money(pdf_text(own.content))
    assert "Vera Vreemd" in own_text and "Anna de Vries" not in own_text
    assert "Beginsaldo € 0,00" in own_text
