"""Public reads without the database (issue 13, item 5): anonymous `products` and
`serviceStatus` over GET answer `Cache-Control: public` with an ETag, a matching
`If-None-Match` is a 304 that runs nothing and reads nothing, and everything personal stays
`no-store`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.contract import build_manifest
from gql.models.service import MaintenanceWindow
from gql.public_reads import MAX_AGE_SECONDS
from gql.settings import Settings
from tests.orders.support import set_price
from tests.payments.support import sqlite_only
from tests.support.api import http_client, running_app
from tests.support.factories import add_account, log_in
from tests.support.statements import StatementLog, assert_statements, driver_trace

PRODUCTS = "query Products { products { code name priceCents } }"
SERVICE_STATUS = (
    "query ServiceStatus { serviceStatus { available current { id endsAt } "
    "upcoming { id startsAt endsAt notice } } }"
)
BOTH = "query Both { products { code priceCents } serviceStatus { available } }"
WITH_VIEWER = "query Mixed { products { code } viewer { name } }"


@pytest.fixture(autouse=True)
def trace() -> Iterator[StatementLog]:
    """Installed before the app: every connection reports its statements."""
    with driver_trace() as log:
        yield log


async def get(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    return await client.get("/graphql", params={"query": query, **params}, headers=headers or {})


def max_age(response: httpx.Response) -> int:
    control = response.headers["cache-control"]
    assert control.startswith("public, max-age="), control
    return int(control.removeprefix("public, max-age="))


async def add_window(app: Starlette, starts_at: datetime, ends_at: datetime) -> None:
    now = app.state.deps.clock.now()
    async with app.state.deps.db.write() as session:
        session.add(
            MaintenanceWindow(
                starts_at=starts_at,
                ends_at=ends_at,
                notice_nl="Onderhoud.",
                notice_en="Maintenance.",
                created_at=now,
            )
        )
        await session.commit()
    app.state.public_reads.forget()  # as another process would see it after the TTL


async def test_anonymous_products_over_get_are_public_with_an_etag_and_a_304_reads_nothing(
    app: Starlette, client: httpx.AsyncClient, trace: StatementLog
) -> None:
    # given
    first = await get(client, PRODUCTS)
    assert first.status_code == 200
    assert max_age(first) == MAX_AGE_SECONDS
    etag = first.headers["etag"]
    assert "Accept-Language" in first.headers["vary"]

    # when: the client asks again with the ETag it has
    async with assert_statements(trace, 0):
        again = await get(client, PRODUCTS, {"if-none-match": etag})

    # then
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert max_age(again) == MAX_AGE_SECONDS


async def test_a_stale_etag_gets_the_answer_and_a_new_price_changes_the_etag(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    before = await get(client, PRODUCTS)

    # when: a tariff change (a migration, seen after the TTL)
    await set_price(app, "EXTRACT", 999)
    app.state.public_reads.forget()
    after = await get(client, PRODUCTS, {"if-none-match": before.headers["etag"]})

    # then
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    prices = {p["code"]: p["priceCents"] for p in after.json()["data"]["products"]}
    assert prices["EXTRACT"] == 999


@sqlite_only
async def test_products_max_age_stops_at_the_next_price_change_and_the_etag_changes_then(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: a price that takes effect in 25 seconds
    await set_price(app, "EXTRACT", 1234, valid_from=clock.now() + timedelta(seconds=25))
    app.state.public_reads.forget()

    # when
    now = await get(client, PRODUCTS)
    clock.advance(seconds=25)
    later = await get(client, PRODUCTS, {"if-none-match": now.headers["etag"]})

    # then
    assert max_age(now) == 25
    assert later.status_code == 200
    assert later.headers["etag"] != now.headers["etag"]
    prices = {p["code"]: p["priceCents"] for p in later.json()["data"]["products"]}
    assert prices["EXTRACT"] == 1234


@sqlite_only
async def test_service_status_max_age_stops_at_the_next_window_start_and_end(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: a window from 40 s to 100 s from now
    start = clock.now() + timedelta(seconds=40)
    await add_window(app, start, start + timedelta(seconds=60))

    # when
    ahead = await get(client, SERVICE_STATUS)
    clock.advance(seconds=45)
    during = await get(client, SERVICE_STATUS, {"if-none-match": ahead.headers["etag"]})
    again = await get(client, SERVICE_STATUS, {"if-none-match": during.headers["etag"]})
    clock.advance(seconds=60)
    after = await get(client, SERVICE_STATUS, {"if-none-match": during.headers["etag"]})

    # then: before it, until its start; in it (a new ETag: it is current), until its end
    assert max_age(ahead) == 40
    assert during.status_code == 200
    assert during.json()["data"]["serviceStatus"]["available"] is False
    assert max_age(during) == 55
    assert again.status_code == 304
    assert after.status_code == 200
    assert after.json()["data"]["serviceStatus"]["available"] is True
    assert max_age(after) == MAX_AGE_SECONDS


@sqlite_only
async def test_a_new_window_changes_the_service_status_etag(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given
    before = await get(client, SERVICE_STATUS)

    # when
    start = clock.now() + timedelta(hours=2)
    await add_window(app, start, start + timedelta(hours=1))
    after = await get(client, SERVICE_STATUS, {"if-none-match": before.headers["etag"]})

    # then
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert len(after.json()["data"]["serviceStatus"]["upcoming"]) == 1


@sqlite_only
async def test_a_trusted_document_by_id_is_public_and_revalidates_without_sql(
    app: Starlette, client: httpx.AsyncClient, trace: StatementLog
) -> None:
    # given
    [document_id] = [k for k, v in build_manifest().items() if "query ServiceStatus" in v]
    first = await client.get("/graphql", params={"documentId": document_id})
    assert max_age(first) == MAX_AGE_SECONDS

    # when
    async with assert_statements(trace, 0):
        again = await client.get(
            "/graphql",
            params={"documentId": document_id},
            headers={"if-none-match": first.headers["etag"]},
        )

    # then
    assert again.status_code == 304


@sqlite_only
async def test_the_etag_differs_per_language_and_per_document(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # when
    dutch = await get(client, PRODUCTS)
    english = await get(client, PRODUCTS, {"accept-language": "en"})
    both = await get(client, BOTH)

    # then
    assert len({dutch.headers["etag"], english.headers["etag"], both.headers["etag"]}) == 3
    assert max_age(both) == MAX_AGE_SECONDS


@sqlite_only
@pytest.mark.parametrize("session", ["cookie", "bearer", "expired cookie"])
async def test_a_signed_in_or_session_carrying_request_stays_no_store_and_runs(
    app: Starlette, client: httpx.AsyncClient, session: str
) -> None:
    # given
    anonymous = await get(client, PRODUCTS)
    headers = {"if-none-match": anonymous.headers["etag"]}
    if session == "cookie":
        await log_in(client, await add_account(app))
    elif session == "bearer":
        headers["authorization"] = "Bearer not-a-valid-token"
    else:
        client.cookies.set(app.state.deps.settings.session_cookie_name, "expired")

    # when
    response = await get(client, PRODUCTS, headers)

    # then
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    assert response.json()["data"]["products"]


@sqlite_only
@pytest.mark.parametrize(
    "query",
    [
        WITH_VIEWER,
        "query Aliased { p: products { code } }",
        "query Skipped($s: Boolean!) { products @skip(if: $s) { code } }",
    ],
)
async def test_a_document_with_anything_beyond_the_public_fields_stays_no_store(
    client: httpx.AsyncClient, query: str
) -> None:
    # when
    response = await get(client, query, variables='{"s": false}')

    # then
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


@sqlite_only
async def test_the_same_document_over_post_or_with_an_error_stays_no_store(
    client: httpx.AsyncClient,
) -> None:
    # when
    posted = await client.post("/graphql", json={"query": PRODUCTS})
    wrong = await get(client, "query Wrong { products { nope } }")

    # then
    assert posted.headers["cache-control"] == "no-store"
    assert "etag" not in posted.headers
    assert wrong.headers["cache-control"] == "no-store"


async def test_another_process_on_the_same_database_agrees_on_the_etag_and_answers_304(
    app: Starlette, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    # given: an answer from one process
    first = await get(client, BOTH)

    # when: a second app (its own memory, nothing shared but the database) is asked
    async with running_app(settings, clock) as other, http_client(other) as other_client:
        again = await get(other_client, BOTH, {"if-none-match": first.headers["etag"]})

    # then
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]
