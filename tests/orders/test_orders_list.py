"""Reading orders (seed: "Bestellingen bekijken"): newest first, filtered; a code sees its
own, the organisation's main user every code's (with who placed it); a document downloads
only for them, and every refusal answers like a missing document; a page costs the same
number of statements for 1 order as for 100."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.accounts import Account
from gql.models.orders import Order, OrderPayment, OrderStatus
from gql.services.accounts import access_codes
from gql.services.shared.formatting import local_date
from tests.orders.support import (
    ORDERS,
    OTHER_KVK,
    customer_with_balance,
    list_orders,
    order_input,
    organisation,
    place,
    signed_in,
)
from tests.payments.support import private_client, sqlite_only
from tests.support.api import gql, http_client
from tests.support.factories import add_company, log_in
from tests.support.statements import (
    StatementLog,
    assert_statements,
    count_statements,
    driver_trace,
)


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


@sqlite_only
async def test_orders_are_listed_newest_first_and_filtered(
    app: Starlette, clock: FrozenClock
) -> None:
    await add_company(app, kvk_number=OTHER_KVK, name="Ander B.V.")
    async with customer_with_balance(app, 5000) as client:
        first = (await place(client, order_input()))["order"]
        second = (await place(client, order_input(kvk=OTHER_KVK)))["order"]
        # the first was placed two days ago
        async with app.state.deps.db.write() as session:
            await session.execute(
                update(Order)
                .where(col(Order.reference) == first["reference"])
                .values(placed_at=clock.now() - timedelta(days=2))
            )
            await session.commit()
        today = local_date(clock.now())

        everything = await list_orders(client)
        about_other = await list_orders(client, kvkNumber=OTHER_KVK)
        only_today = await list_orders(client, placedFrom=today.isoformat())
        until_before = await list_orders(
            client, placedUntil=(today - timedelta(days=1)).isoformat()
        )
        delivered = await list_orders(client, status="DELIVERED")
        placed = await list_orders(client, status="PLACED")
        page = await gql(client, ORDERS, {"first": 1})

        assert [o["id"] for o in everything] == [second["id"], first["id"]]
        assert [o["id"] for o in about_other] == [second["id"]]
        assert [o["id"] for o in only_today] == [second["id"]]
        assert [o["id"] for o in until_before] == [first["id"]]
        assert len(delivered) == 2 and placed == []
        assert page["data"]["orders"]["pageInfo"]["hasNextPage"] is True
        assert everything[0]["company"]["name"] == "Ander B.V."
        assert everything[0]["product"]["code"] == "EXTRACT"


async def test_the_main_user_sees_every_codes_orders_and_others_only_their_own(
    app: Starlette,
) -> None:
    codes = await organisation(app)
    async with (
        signed_in(app, codes["main"]) as main,
        signed_in(app, codes["second"]) as second,
    ):
        mine = (await place(main, order_input()))["order"]
        theirs = (await place(second, order_input("COMPANY_PROFILE")))["order"]

        seen_by_main = await list_orders(main)
        seen_by_second = await list_orders(second)
        node = await gql(second, "query($id: ID!) { node(id: $id) { id } }", {"id": mine["id"]})

        assert [o["id"] for o in seen_by_main] == [theirs["id"], mine["id"]]
        assert seen_by_main[0]["placedBy"].startswith("Piet Pieterse (")
        assert [o["id"] for o in seen_by_second] == [theirs["id"]]
        assert node["data"]["node"] is None
        # The main user downloads the other code's document; the other code not the main's.
        assert (await main.get(_path(theirs["downloadUrl"]))).status_code == 200
        refused = await second.get(_path(mine["downloadUrl"]))
        missing = await second.get("/files/999999")
        assert refused.status_code == missing.status_code == 404
        assert refused.content == missing.content


@sqlite_only
async def test_nobody_else_downloads_a_document_and_the_answer_is_that_of_a_missing_one(
    app: Starlette, clock: FrozenClock
) -> None:
    async with customer_with_balance(app, 5000) as owner:
        order = (await place(owner, order_input()))["order"]
        path = _path(order["downloadUrl"])
        missing = await owner.get("/files/999999")

        async with private_client(app, email="kees@example.nl") as other:
            other_answer = await other.get(path)
        async with http_client(app) as anonymous:
            anonymous_answer = await anonymous.get(path)

        assert other_answer.status_code == anonymous_answer.status_code == 404
        assert other_answer.content == anonymous_answer.content == missing.content
        assert (await owner.get(path)).status_code == 200


@sqlite_only
async def test_a_bearer_client_gets_a_signed_link_that_expires(
    app: Starlette, clock: FrozenClock
) -> None:
    async with customer_with_balance(app, 5000) as owner:
        await place(owner, order_input())
    async with http_client(app) as mobile:
        async with app.state.deps.db.read() as session:
            code = await session.scalar(select(Account.access_code))
        login = await log_in(mobile, access_codes.display(str(code)), session="TOKEN")
        headers = {"authorization": f"Bearer {login['token']}"}
        body = await gql(mobile, "{ orders { edges { node { downloadUrl } } } }", headers=headers)
        url = body["data"]["orders"]["edges"][0]["node"]["downloadUrl"]
        assert "signature=" in url

        async with http_client(app) as browser:
            works = await browser.get(_path(url))
            clock.advance(seconds=app.state.deps.settings.download_link_seconds + 1)
            expired = await browser.get(_path(url))

        assert works.status_code == 200
        assert expired.status_code == 404


@pytest.fixture
def trace() -> Iterator[StatementLog]:
    """Installed before the app (asked for first): every connection reports."""
    with driver_trace() as log:
        yield log


@pytest.mark.parametrize("orders", [1, 100])
async def test_a_page_of_orders_costs_the_same_statements_for_1_and_100_orders(
    trace: StatementLog, app: Starlette, orders: int
) -> None:
    async with customer_with_balance(app, 0) as client:
        await _bulk_orders(app, orders)
        document = (
            "{ orders(first: 100) { edges { node { id reference priceCents placedBy "
            "product { code name } company { name } } } } }"
        )
        # the session, the caller's rights, the page, and one each for products,
        # companies and who placed them: the same for any page size
        async with assert_statements(trace, 6):
            body = await gql(client, document)
        assert len(body["data"]["orders"]["edges"]) == orders


async def _bulk_orders(app: Starlette, count: int) -> None:
    """`count` delivered-less orders of the one account, straight into the table."""
    deps = app.state.deps
    async with deps.db.write() as session:
        account_id = await session.scalar(select(Account.id))
        for n in range(count):
            session.add(
                Order(
                    reference=f"T-{n:06d}",
                    product_code="EXTRACT" if n % 2 else "COMPANY_PROFILE",
                    kvk_number="12345678",
                    price_cents=290,
                    account_id=account_id,
                    payment_method=OrderPayment.BALANCE,
                    status=OrderStatus.PLACED,
                    placed_at=deps.clock.now(),
                )
            )
        await session.commit()


async def test_a_page_reads_only_the_relations_its_query_selects_through_fragments_and_aliases(
    trace: StatementLog, app: Starlette
) -> None:
    async with customer_with_balance(app, 0) as client:
        await _bulk_orders(app, 3)
        bare = "{ orders { edges { node { reference } } } }"
        through_fragments = """
        query {
          orders { edges { node { ...Relations } } }
        }
        fragment Relations on Order {
          reference
          what: product { code }
          ... on Order { company { name } placedBy }
        }
        """
        # the session, the caller's rights and the page: nothing read ahead for nobody
        async with assert_statements(trace, 3):
            plain = await gql(client, bare)
        # and one statement each for what a fragment or an alias asks
        async with assert_statements(trace, 6):
            body = await gql(client, through_fragments)

    assert "errors" not in plain and "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert [n["reference"] for n in nodes] == ["T-000002", "T-000001", "T-000000"]
    assert [n["what"]["code"] for n in nodes] == ["COMPANY_PROFILE", "EXTRACT", "COMPANY_PROFILE"]
    assert {n["company"]["name"] for n in nodes} == {"Testbedrijf B.V."}
    assert len({n["placedBy"] for n in nodes}) == 1 and nodes[0]["placedBy"]


async def test_a_single_order_loads_a_relation_only_when_its_query_selects_it(
    trace: StatementLog, app: Starlette
) -> None:
    async with customer_with_balance(app, 5000) as client:
        placed = (await place(client, order_input()))["order"]
        node = "query($id: ID!) { node(id: $id) { ... on Order { reference %s } } }"
        async with count_statements(trace) as without:
            plain = await gql(client, node % "", {"id": placed["id"]})
        statements_without = len(without)
        async with count_statements(trace) as with_relations:
            body = await gql(
                client,
                node % "product { code name } company { name } placedBy",
                {"id": placed["id"]},
            )

    assert plain["data"]["node"] == {"reference": placed["reference"]}
    order = body["data"]["node"]
    assert order["product"] == {"code": "EXTRACT", "name": "Uittreksel Handelsregister"}
    assert order["company"] == {"name": "Testbedrijf B.V."}
    assert order["placedBy"].startswith("Piet Pieterse (")
    # one statement for each relation asked for, none when none is
    assert len(with_relations) == statements_without + 3
