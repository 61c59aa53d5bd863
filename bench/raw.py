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

import base64
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import asyncpg
import orjson
import strawberry
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from bench.ceiling import ABSOLUTE, COMPANY_SQL, COOKIE, IDLE, VIEWER_SQL


def _utc(value: Any) -> datetime:
    """A timestamp as the engine's UTCDateTime reads it (SQLite stores text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
        self.conn: aiosqlite.Connection | None = None
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self.sqlite:
            path = make_url(self.url).database
            self.conn = await aiosqlite.connect(
                f"file:{path}?mode=rw", uri=True, isolation_level=None
            )
            for pragma in ("busy_timeout=30000", "foreign_keys=ON", "query_only=ON"):
                await self.conn.execute(f"PRAGMA {pragma}")
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
        if self.pool is not None:
            await self.pool.close()

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        if self.conn is not None:
            return list(await self.conn.execute_fetchall(sql, tuple(args)))
        assert self.pool is not None
        return list(await self.pool.fetch(sql, *args))

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

    return Starlette(
        routes=[
            Route("/typename", typename, methods=["POST"]),
            Route("/viewer-name", viewer_name, methods=["POST"]),
            Route("/viewer", viewer, methods=["POST"]),
            Route("/viewer-company", viewer_company, methods=["POST"]),
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
            name=found[0], legal_form=found[1], visiting_address=BareAddress(city=found[2])
        )


@strawberry.type(name="Query")
class BareQuery:
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
