"""Who sees which invoice (SPEC §2, §6): a private account its own, an organisation's main user
all of the organisation's, other codes none; anyone else's invoice and PDF answer exactly like
unknown ones. A page costs the same statements for one invoice as for many."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.schema.types.ids import to_global_id
from tests.invoices.support import (
    INVOICES,
    OCTOBER,
    account_id,
    add_dd_order,
    add_paid_top_ups,
    amsterdam,
    edges,
    invoices_in_db,
    run,
    signed_in,
)
from tests.orders.support import organisation
from tests.payments.support import sqlite_only
from tests.support.api import gql, http_client
from tests.support.factories import add_account, log_in
from tests.support.statements import StatementLog, assert_statements, driver_trace

NODE = "query($id: ID!) { node(id: $id) { __typename ... on Invoice { number totalCents } } }"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _world(app: Starlette, clock: FrozenClock) -> dict[str, str]:
    """Piet with a top-up invoice, Kees with none, and an organisation with October's."""
    from gql.services.invoices import top_ups

    clock.set(amsterdam(2026, 10, 1, 9))
    codes = await organisation(app)
    await add_dd_order(app, codes["second"], placed_at=amsterdam(2026, 10, 10))
    codes["piet"] = await add_account(app, email="piet@example.nl")
    codes["kees"] = await add_account(app, email="kees@example.nl", name="Kees Klaassen")
    [payment] = await add_paid_top_ups(app, await account_id(app, codes["piet"]), [2500])
    clock.set(amsterdam(2026, 11, 1, 1))
    await top_ups.issue_top_up_invoice(app.state.deps, payment_id=payment)
    await run(app, OCTOBER)
    return codes


async def test_each_sees_only_the_invoices_that_are_theirs(
    app: Starlette, clock: FrozenClock, staff: httpx.AsyncClient
) -> None:
    # given
    codes = await _world(app, clock)
    piets, organisations = await invoices_in_db(app)
    seen: dict[str, list[str]] = {}
    nodes: dict[str, list[object]] = {}
    for who in ("piet", "kees", "main", "second"):
        async with signed_in(app, codes[who]) as client:
            # when
            seen[who] = [i["number"] for i in edges(await gql(client, INVOICES))]
            nodes[who] = [
                (await gql(client, NODE, {"id": to_global_id("Invoice", i.id)}))["data"]["node"]
                for i in (piets, organisations)
            ]
    forbidden = await gql(staff, INVOICES)
    async with http_client(app) as anonymous:
        unauthenticated = await gql(anonymous, INVOICES)
    # then
    assert seen == {
        "piet": [piets.number],
        "kees": [],
        "main": [organisations.number],
        "second": [],  # another code of the organisation sees no invoices
    }
    assert nodes["piet"] == [
        {"__typename": "Invoice", "number": piets.number, "totalCents": 2500},
        None,
    ]
    assert nodes["main"] == [
        None,
        {"__typename": "Invoice", "number": organisations.number, "totalCents": 1195},
    ]
    assert nodes["kees"] == nodes["second"] == [None, None]
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert unauthenticated["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@sqlite_only
async def test_only_the_payer_downloads_the_pdf_and_a_refusal_looks_like_a_missing_file(
    app: Starlette, clock: FrozenClock
) -> None:
    # given
    codes = await _world(app, clock)
    async with signed_in(app, codes["main"]) as main:
        [mine] = edges(await gql(main, INVOICES))
        path = _path(mine["downloadUrl"])
        # when
        own = await main.get(path)
        missing = await main.get("/files/999999")
    answers = {}
    for who in ("second", "piet", "kees"):
        async with signed_in(app, codes[who]) as other:
            answers[who] = await other.get(path)
    async with http_client(app) as anonymous:
        answers["anonymous"] = await anonymous.get(path)
    # then
    [invoice] = [i for i in await invoices_in_db(app) if i.number == mine["number"]]
    from tests.invoices.support import stored_pdf

    assert own.status_code == 200 and own.content == await stored_pdf(app, invoice.file_id)
    assert own.headers["content-type"].startswith("application/pdf")
    for who, answer in answers.items():
        assert (answer.status_code, answer.content) == (404, missing.content), who


@sqlite_only
async def test_a_bearer_client_gets_a_signed_link_for_the_pdf(
    app: Starlette, clock: FrozenClock
) -> None:
    codes = await _world(app, clock)
    async with http_client(app) as mobile:
        login = await log_in(mobile, codes["piet"], session="TOKEN")
        headers = {"authorization": f"Bearer {login['token']}"}
        body = await gql(mobile, INVOICES, headers=headers)
    url = edges(body)[0]["downloadUrl"]
    assert "signature=" in url
    async with http_client(app) as browser:
        assert (await browser.get(_path(url))).status_code == 200


@sqlite_only
async def test_the_list_is_newest_first_paged_and_filtered_by_status_and_amsterdam_days(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: three top-up invoices of Piet, on 31 October late at night and 1 November
    from gql.services.invoices import top_ups

    code = await add_account(app)
    payments = await add_paid_top_ups(app, await account_id(app, code), [500, 600, 700])
    for payment, moment in zip(
        payments,
        (
            amsterdam(2026, 10, 31, 12),
            amsterdam(2026, 10, 31, 23, 30),
            amsterdam(2026, 11, 1, 0, 30),
        ),
        strict=True,
    ):
        clock.set(moment)
        await top_ups.issue_top_up_invoice(app.state.deps, payment_id=payment)
    async with signed_in(app, code) as client:
        # when
        first = await gql(client, INVOICES, {"first": 2})
        cursor = first["data"]["invoices"]["pageInfo"]["endCursor"]
        rest = await gql(client, INVOICES, {"first": 2, "after": cursor})
        october = await gql(client, INVOICES, {"from": "2026-10-31", "until": "2026-10-31"})
        november = await gql(client, INVOICES, {"from": "2026-11-01"})
        open_ones = await gql(client, INVOICES, {"status": "OPEN"})
        too_many = await gql(client, INVOICES, {"first": 101})
    # then
    assert [i["totalCents"] for i in edges(first)] == [700, 600]
    assert first["data"]["invoices"]["pageInfo"]["hasNextPage"] is True
    assert [i["totalCents"] for i in edges(rest)] == [500]
    assert [i["totalCents"] for i in edges(october)] == [600, 500]
    assert [i["totalCents"] for i in edges(november)] == [700]
    assert edges(open_ones) == []
    assert too_many["errors"][0]["extensions"]["field"] == ["first"]


@pytest.fixture
def trace() -> Iterator[StatementLog]:
    with driver_trace() as log:
        yield log


@pytest.fixture
def traced_app(trace: StatementLog, app: Starlette) -> Starlette:
    """The app, started after the trace was installed (so every connection reports)."""
    return app


@sqlite_only
async def test_a_page_of_invoices_with_their_lines_costs_four_statements_for_any_count(
    trace: StatementLog, traced_app: Starlette, clock: FrozenClock
) -> None:
    # given: an organisation's monthly invoices of two orders each, one and then three
    app = traced_app
    clock.set(amsterdam(2026, 5, 1, 9))
    codes = await organisation(app)
    pages = []
    for month in (6, 7, 8):
        for day in (3, 4):
            await add_dd_order(app, codes["main"], placed_at=amsterdam(2026, month, day))
        clock.set(amsterdam(2026, month + 1, 1, 1))
        await run(app, amsterdam(2026, month, 2).date().replace(day=1))
        if month in (6, 8):
            # when / then: the session, who sees what, the page, and all its lines
            async with signed_in(app, codes["main"]) as main, assert_statements(trace, 4):
                pages.append(edges(await gql(main, INVOICES)))
    assert [len(page) for page in pages] == [1, 3]
    assert [len(i["lines"]) for i in pages[1]] == [2, 2, 2]
