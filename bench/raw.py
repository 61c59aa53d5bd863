"""The physical limit: the same SQL through the bare driver, and a bare strawberry app on it.

`raw`: plain Starlette endpoints on ONE driver connection opened at start-up (SQLite: an
aiosqlite connection with the engine's pragmas; PostgreSQL: an asyncpg pool, whose
connections cache prepared statements), running the ceiling's SQL text (compiled once from
the same SQLAlchemy statements) and answering the same JSON.

`bare`: `strawberry.asgi.GraphQL` with only ParserCache and ValidationCache, no middleware,
a schema of the same shape (viewer, its company) whose resolvers read on that raw connection:
what strawberry itself costs on top of the driver, without anything of ours.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import anyio.to_thread
import asyncpg
import orjson
import strawberry
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache, ValidationCache

from bench import orders as o
from bench.ceiling import ABSOLUTE, COMPANY_SQL, COOKIE, IDLE, VIEWER_SQL


def _utc(value: Any) -> datetime:
    """A timestamp as the engine's UTCDateTime reads it (SQLite stores text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Sql:
    """A statement's text for the driver, compiled once; `args` puts values in its order.

    An expanding IN list (`bindparam(..., expanding=True)`) gets its text once per length."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        self.compiled: Any = statement.compile(dialect=dialect)
        self.text: str = self.compiled.string
        self.names: tuple[str, ...] = tuple(self.compiled.positiontup or ())
        self.defaults = {k: v for k, v in self.compiled.params.items() if v is not None}
        self.expanding = [b.key for b in self.compiled.binds.values() if b.expanding]
        self._by_length: dict[tuple[int, ...], tuple[str, tuple[str, ...]]] = {}

    def args(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        if not self.expanding:
            given = {**self.defaults, **params}
            # An INSERT's or UPDATE's b_<name> takes the value given as <name>.
            return self.text, [
                given[name] if name in given else given[name[2:]] for name in self.names
            ]
        lengths = tuple(len(params[name]) for name in self.expanding)
        found = self._by_length.get(lengths)
        if found is None:
            state = self.compiled.construct_expanded_state({**self.defaults, **params})
            found = self._by_length[lengths] = (state.statement, tuple(state.positiontup or ()))
        text, names = found
        given = {**self.defaults, **params}
        for name in self.expanding:
            given.update({f"{name}_{i}": v for i, v in enumerate(params[name], 1)})
        return text, [given[name] for name in names]


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """The reads take no locks or settings: skip asyncpg's reset query on release."""


class RawConnection:
    """One driver connection (SQLite) or pool (PostgreSQL), opened at start-up."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        dialect = SQLiteDialect_aiosqlite() if self.sqlite else PGDialect_asyncpg()
        # The same SQL text the ceiling sends through the engine, compiled once.
        self.viewer_sql = VIEWER_SQL.compile(dialect=dialect).string
        self.company_sql = COMPANY_SQL.compile(dialect=dialect).string
        self.sql: dict[str, Sql] = {
            name: Sql(getattr(o, name), dialect)
            for name in dir(o)
            if name.endswith("_SQL") and not name.startswith("_")
        }
        self.conn: aiosqlite.Connection | None = None
        self.writer: aiosqlite.Connection | None = None  # SQLite: the write connection
        self.writing = asyncio.Lock()  # one transaction at a time on it
        self.pool: asyncpg.Pool | None = None

    def time(self, value: datetime) -> Any:
        """A timestamp as the engine binds it (SQLite: UTC text; asyncpg: the datetime)."""
        if self.sqlite:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    async def open(self) -> None:
        if self.sqlite:
            path = make_url(self.url).database
            self.conn = await aiosqlite.connect(
                f"file:{path}?mode=rw", uri=True, isolation_level=None
            )
            for pragma in ("busy_timeout=30000", "foreign_keys=ON", "query_only=ON"):
                await self.conn.execute(f"PRAGMA {pragma}")
            # Writes: the engine's pragmas on a connection of their own.
            self.writer = await aiosqlite.connect(
                f"file:{path}?mode=rw", uri=True, isolation_level=None
            )
            for pragma in (
                "journal_mode=WAL",
                "synchronous=FULL",
                "foreign_keys=ON",
                "busy_timeout=30000",
                "secure_delete=ON",
            ):
                await self.writer.execute_fetchall(f"PRAGMA {pragma}")
        else:
            dsn = make_url(self.url).set(drivername="postgresql")
            self.pool = await asyncpg.create_pool(
                dsn.render_as_string(hide_password=False),
                min_size=1,
                max_size=4,
                reset=_no_reset,
            )

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
        if self.writer is not None:
            await self.writer.close()
        if self.pool is not None:
            await self.pool.close()

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        if self.conn is not None:
            return list(await self.conn.execute_fetchall(sql, tuple(args)))
        assert self.pool is not None
        return list(await self.pool.fetch(sql, *args))

    async def read(self, name: str, **params: Any) -> list[Any]:
        """One of bench.orders' statements on the read connection (autocommit)."""
        sql, args = self.sql[name].args(params)
        return await self.fetch(sql, args)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Callable[..., Any]]:
        """A write transaction (SQLite: BEGIN IMMEDIATE on the write connection); yields
        `run(name, **params)`, which returns the statement's rows (RETURNING) or []."""
        if self.writer is not None:
            writer = self.writer
            async with self.writing:

                async def run_sqlite(name: str, **params: Any) -> list[Any]:
                    sql, args = self.sql[name].args(params)
                    return list(await writer.execute_fetchall(sql, args))

                await writer.execute_fetchall("BEGIN IMMEDIATE")
                try:
                    yield run_sqlite
                except BaseException:
                    await writer.execute_fetchall("ROLLBACK")
                    raise
                await writer.execute_fetchall("COMMIT")
            return
        assert self.pool is not None
        async with self.pool.acquire() as conn, conn.transaction():

            async def run_pg(name: str, **params: Any) -> list[Any]:
                sql, args = self.sql[name].args(params)
                return list(await conn.fetch(sql, *args))

            yield run_pg

    async def live_session(self, token: str | None, now: datetime) -> Any:
        """The session joined with its account, if live (touching is left out: the ceiling
        touches at most once a minute, which a benchmark of this length never reaches)."""
        if not token or len(token) > 100:
            return None
        rows = await self.fetch(self.viewer_sql, [hashlib.sha256(token.encode()).hexdigest()])
        if not rows:
            return None
        row = rows[0]
        created, seen = _utc(row[1]), _utc(row[2])
        if now >= created + ABSOLUTE or now >= seen + IDLE:
            return None
        return (*row[:1], created, seen, *row[3:])

    async def company(self, kvk_number: str) -> Any:
        rows = await self.fetch(self.company_sql, [kvk_number])
        return rows[0] if rows else None


def _viewer_json(row: Any, now: datetime) -> dict[str, Any]:
    code = row[4]
    return {
        "id": base64.urlsafe_b64encode(f"Viewer:{row[3]}".encode()).decode(),
        "accessCode": "-".join(code[i : i + 4] for i in range(0, len(code), 4)),
        "usage": row[5],
        "name": row[6],
        "email": row[7],
        "kvkNumber": row[8],
        "isMainUser": bool(row[9]),
        "sessionExpiresAt": min(row[1] + ABSOLUTE, now + IDLE).isoformat(),
    }


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def _bytes(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _lifespan(raw: RawConnection) -> Callable[[Starlette], Any]:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await raw.open()
        yield
        await raw.close()

    return lifespan


def create(database_url: str | None = None) -> Starlette:
    """The raw-driver ceiling (a uvicorn factory: BENCH_DATABASE_URL names the database)."""
    raw = RawConnection(database_url or os.environ["BENCH_DATABASE_URL"])

    async def typename(request: Request) -> Response:
        orjson.loads(await request.body())
        return _json({"data": {"__typename": "Query"}})

    async def viewer_name(request: Request) -> Response:
        orjson.loads(await request.body())
        row = await raw.live_session(request.cookies.get(COOKIE), datetime.now(UTC))
        return _json({"data": {"viewer": {"name": row[6]} if row else None}})

    async def viewer(request: Request) -> Response:
        orjson.loads(await request.body())
        now = datetime.now(UTC)
        row = await raw.live_session(request.cookies.get(COOKIE), now)
        return _json({"data": {"viewer": _viewer_json(row, now) if row else None}})

    async def viewer_company(request: Request) -> Response:
        orjson.loads(await request.body())
        row = await raw.live_session(request.cookies.get(COOKIE), datetime.now(UTC))
        if row is None:
            return _json({"data": {"viewer": None}})
        found = await raw.company(row[8]) if row[8] else None
        company = (
            {"name": found[0], "legalForm": found[1], "visitingAddress": {"city": found[2]}}
            if found
            else None
        )
        return _json({"data": {"viewer": {"name": row[6], "company": company}}})

    async def orders_page(request: Request) -> Response:
        orjson.loads(await request.body())
        now = datetime.now(UTC)
        row = await raw.live_session(request.cookies.get(COOKIE), now)
        if row is None:
            return _bytes(o.error_json("UNAUTHENTICATED"))
        organisation = o.organisation_of((await raw.read("SCOPE_SQL", account_id=row[3]))[0])
        if organisation is not None:
            page = await raw.read(
                "ORGANISATION_PAGE_SQL", organisation=organisation, limit=o.PAGE + 1
            )
        else:
            page = await raw.read("OWN_PAGE_SQL", account_id=row[3], limit=o.PAGE + 1)
        shown = page[: o.PAGE]
        products: dict[str, Any] = {}
        companies: dict[str, Any] = {}
        if shown:
            codes = o.distinct(r[o.O_PRODUCT] for r in shown)
            found = await raw.read("PRODUCTS_SQL", codes=codes, at=raw.time(now))
            products = {r[o.P_CODE]: r for r in found}
            kvks = o.distinct(r[o.O_KVK] for r in shown)
            found = await raw.read("COMPANIES_SQL", kvk_numbers=kvks)
            companies = {o.company_key(r): r for r in found}
        return _bytes(o.orders_json(page, products, companies, _utc))

    async def place_order(request: Request) -> Response:
        given = orjson.loads(await request.body())["variables"]["input"]
        now = datetime.now(UTC)
        row = await raw.live_session(request.cookies.get(COOKIE), now)
        if row is None:
            return _bytes(o.error_json("UNAUTHENTICATED"))
        account_id = row[3]
        buyer = (await raw.read("ACCOUNT_SQL", account_id=account_id))[0]
        assert o.account_field(buyer, "active") and o.account_field(buyer, "usage") == "PRIVATE"
        assert o.account_field(buyer, "payment_method") == "BALANCE"
        code = given["productCode"].strip().upper()
        found = (await raw.read("PRODUCT_SQL", code=code, at=raw.time(now)))[0]
        assert found[o.P_ORDERABLE] and found[o.P_PRICE] is not None
        price_cents = found[o.P_PRICE]
        kvk, key = given["kvkNumber"].strip(), given["idempotencyKey"].strip()
        assert len(kvk) == 8 and kvk.isdigit() and 0 < len(key) <= 100
        at = raw.time(now)
        claim = {"scope": f"account:{account_id}", "key": key}
        async with raw.transaction() as run:
            assert not await run("KEY_SQL", **claim)
            await run(
                "CLAIM_SQL",
                **claim,
                operation=o.OPERATION,
                input_hash=o.fingerprint(code, kvk),
                now=at,
            )
            assert not await run("MAINTENANCE_SQL", now=at)
            assert await run("COMPANY_SQL", kvk_number=kvk)
            order_id = (
                await run(
                    "INSERT_ORDER_SQL",
                    reference=o.new_reference(now),
                    product_code=code,
                    kvk_number=kvk,
                    price_cents=price_cents,
                    account_id=account_id,
                    language=o.account_field(buyer, "language"),
                    now=at,
                )
            )[0][0]
            assert await run("DEBIT_SQL", account_id=account_id, amount=price_cents, now=at)
            await run(
                "LEDGER_SQL", account_id=account_id, amount=-price_cents, order_id=order_id, now=at
            )
            await run("COMPLETE_SQL", **claim, result_ref=f"order:{order_id}", now=at)
        # Its document, as delivery.deliver makes it.
        placed = (await raw.read("ORDER_ROW_SQL", order_id=order_id))[0]
        made_of = (await raw.read("PRODUCT_ROW_SQL", code=code))[0]
        about = (await raw.read("COMPANY_SQL", kvk_number=kvk))[0]
        made_at = datetime.now(UTC)
        content, media_type, filename = await anyio.to_thread.run_sync(
            lambda: o.render_document(placed, made_of, about, made_at)
        )
        chunks = [content[i : i + o.CHUNK_BYTES] for i in range(0, len(content), o.CHUNK_BYTES)]
        async with raw.transaction() as run:
            file_id = (
                await run(
                    "INSERT_FILE_SQL",
                    sha256=hashlib.sha256(content).hexdigest(),
                    size=len(content),
                    chunks=len(chunks),
                    content_type=media_type,
                    filename=filename[:200],
                    now=raw.time(made_at),
                )
            )[0][0]
            for seq, data in enumerate(chunks):
                await run("INSERT_CHUNK_SQL", file_id=file_id, seq=seq, data=data)
            assert await run(
                "DELIVERED_SQL", order_id=order_id, file_id=file_id, now=raw.time(made_at)
            )
        view = (await raw.read("ORDER_VIEW_SQL", order_id=order_id))[0]
        return _bytes(o.place_order_json(view, public_url, _utc))

    public_url = os.environ.get("TOEGANG_PUBLIC_URL", o.PUBLIC_URL)
    return Starlette(
        routes=[
            Route("/typename", typename, methods=["POST"]),
            Route("/viewer-name", viewer_name, methods=["POST"]),
            Route("/viewer", viewer, methods=["POST"]),
            Route("/viewer-company", viewer_company, methods=["POST"]),
            Route("/orders", orders_page, methods=["POST"]),
            Route("/place-order", place_order, methods=["POST"]),
            Route("/healthz", lambda _: _json({"status": "ok"})),
        ],
        lifespan=_lifespan(raw),
    )


# ---- the bare strawberry app --------------------------------------------------------------


@strawberry.type
class BareAddress:
    city: str


@strawberry.type(name="Company")
class BareCompany:
    name: str
    kvk_number: str
    legal_form: str
    visiting_address: BareAddress


@strawberry.type(name="Viewer")
class BareViewer:
    id: strawberry.ID
    access_code: str
    usage: str
    name: str
    email: str
    kvk_number: str | None
    is_main_user: bool
    session_expires_at: datetime

    @strawberry.field
    async def company(self, info: strawberry.Info) -> BareCompany | None:
        if self.kvk_number is None:
            return None
        found = await info.context["raw"].company(self.kvk_number)
        if found is None:
            return None
        return BareCompany(
            name=found[0],
            kvk_number=self.kvk_number,
            legal_form=found[1],
            visiting_address=BareAddress(city=found[2]),
        )


def _loader(info: strawberry.Info, name: str, load: Callable[..., Any]) -> DataLoader[Any, Any]:
    """A DataLoader of this request, made when first asked for."""
    context = info.context
    found = context.get(name)
    if found is None:
        found = context[name] = DataLoader(load_fn=lambda keys: load(context["raw"], keys))
    return found


async def _products(raw: RawConnection, codes: list[str]) -> list[Any]:
    found = await raw.read("PRODUCTS_SQL", codes=codes, at=raw.time(datetime.now(UTC)))
    by_code = {r[o.P_CODE]: r for r in found}
    return [by_code.get(code) for code in codes]


async def _companies(raw: RawConnection, kvks: list[str]) -> list[Any]:
    by_kvk = {o.company_key(r): r for r in await raw.read("COMPANIES_SQL", kvk_numbers=kvks)}
    return [by_kvk.get(kvk) for kvk in kvks]


@strawberry.type(name="Product")
class BareProduct:
    code: str
    name: str
    price_cents: int | None


@strawberry.type(name="Order")
class BareOrder:
    id: strawberry.ID
    reference: str
    price_cents: int
    status: str
    placed_at: datetime
    product_code: strawberry.Private[str]
    kvk_number: strawberry.Private[str]

    @strawberry.field
    async def product(self, info: strawberry.Info) -> BareProduct:
        row = await _loader(info, "products", _products).load(self.product_code)
        return BareProduct(code=row[o.P_CODE], name=row[o.P_NAME_NL], price_cents=row[o.P_PRICE])

    @strawberry.field
    async def company(self, info: strawberry.Info) -> BareCompany | None:
        row = await _loader(info, "companies", _companies).load(self.kvk_number)
        if row is None:
            return None
        c = o.company_index
        return BareCompany(
            name=row[c["name"]],
            kvk_number=row[c["kvk_number"]],
            legal_form=row[c["legal_form"]],
            visiting_address=BareAddress(city=row[c["visiting_city"]]),
        )


@strawberry.type(name="OrderEdge")
class BareOrderEdge:
    node: BareOrder


@strawberry.type(name="OrderConnection")
class BareOrderConnection:
    edges: list[BareOrderEdge]


@strawberry.type(name="Query")
class BareQuery:
    @strawberry.field
    async def orders(self, info: strawberry.Info, first: int = 20) -> BareOrderConnection | None:
        raw = info.context["raw"]
        row = await raw.live_session(info.context["request"].cookies.get(COOKIE), datetime.now(UTC))
        if row is None:
            return None
        organisation = o.organisation_of((await raw.read("SCOPE_SQL", account_id=row[3]))[0])
        if organisation is not None:
            page = await raw.read(
                "ORGANISATION_PAGE_SQL", organisation=organisation, limit=first + 1
            )
        else:
            page = await raw.read("OWN_PAGE_SQL", account_id=row[3], limit=first + 1)
        return BareOrderConnection(
            edges=[
                BareOrderEdge(
                    node=BareOrder(
                        id=strawberry.ID(o.global_id("Order", r[o.O_ID])),
                        reference=r[o.O_REFERENCE],
                        price_cents=r[o.O_PRICE],
                        status=r[o.O_STATUS],
                        placed_at=_utc(r[o.O_PLACED]),
                        product_code=r[o.O_PRODUCT],
                        kvk_number=r[o.O_KVK],
                    )
                )
                for r in page[:first]
            ]
        )

    @strawberry.field
    async def viewer(self, info: strawberry.Info) -> BareViewer | None:
        request = info.context["request"]
        now = datetime.now(UTC)
        row = await info.context["raw"].live_session(request.cookies.get(COOKIE), now)
        if row is None:
            return None
        data = _viewer_json(row, now)
        return BareViewer(
            id=strawberry.ID(data["id"]),
            access_code=data["accessCode"],
            usage=data["usage"],
            name=data["name"],
            email=data["email"],
            kvk_number=data["kvkNumber"],
            is_main_user=data["isMainUser"],
            session_expires_at=min(row[1] + ABSOLUTE, now + IDLE),
        )


class _BareGraphQL(GraphQL):
    def __init__(self, schema: strawberry.Schema, raw: RawConnection) -> None:
        super().__init__(schema, graphql_ide=None)
        self.raw = raw

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"request": request, "response": response, "raw": self.raw}


def create_bare(database_url: str | None = None) -> Starlette:
    """strawberry's own ASGI app with its parser and validation caches, nothing of ours."""
    raw = RawConnection(database_url or os.environ["BENCH_DATABASE_URL"])
    schema = strawberry.Schema(
        query=BareQuery, extensions=[ParserCache(maxsize=256), ValidationCache(maxsize=256)]
    )
    return Starlette(
        routes=[Route("/graphql", _BareGraphQL(schema, raw), methods=["POST"])],
        lifespan=_lifespan(raw),
    )
