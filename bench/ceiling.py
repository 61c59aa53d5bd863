"""The practical ceiling: plain Starlette endpoints doing the same SQL with the same driver.

No GraphQL, no ORM objects: each route reads the JSON body, runs the SQL the GraphQL request
needs through SQLAlchemy Core on the app's own engine setup (aiosqlite, same pragmas), and
returns the same JSON with orjson. Session checks are the app's (30 min idle, 12 h absolute,
`last_seen_at` written at most once a minute).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
import orjson
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import orders as o
from gql.db import create_engine
from gql.models.accounts import Account, AuthSession, DeviceToken
from gql.models.register import Company
from gql.settings import Settings

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
DEVICE_SESSION = timedelta(days=30)  # TOEGANG_DEVICE_SESSION_DAYS
TOUCH = timedelta(seconds=60)
COOKIE = "toegang_session"

account = Account.__table__  # type: ignore[attr-defined]
auth_session = AuthSession.__table__  # type: ignore[attr-defined]
device_token = DeviceToken.__table__  # type: ignore[attr-defined]
company = Company.__table__  # type: ignore[attr-defined]

VIEWER_SQL = (
    select(
        auth_session.c.id,
        auth_session.c.created_at,
        auth_session.c.last_seen_at,
        account.c.id,
        account.c.access_code,
        account.c.usage,
        account.c.name,
        account.c.email,
        account.c.kvk_number,
        account.c.is_main_user,
    )
    .join(account, account.c.id == auth_session.c.account_id)
    .where(
        auth_session.c.token_hash == bindparam("token_hash"),
        auth_session.c.ended_at.is_(None),
        account.c.active.is_(True),
    )
)
COMPANY_SQL = select(company.c.name, company.c.legal_form, company.c.visiting_city).where(
    company.c.kvk_number == bindparam("kvk_number")
)
LOGIN_SQL = select(account.c.id, account.c.name, account.c.password_hash).where(
    account.c.access_code == bindparam("access_code"), account.c.active.is_(True)
)


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def _raw_json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _aware(value: datetime) -> datetime:
    return value  # the engine's UTCDateTime reads timestamps back aware already


def create(database_url: str | None = None) -> Starlette:
    """The ceiling app (a uvicorn factory: BENCH_DATABASE_URL names the database)."""
    url = database_url or os.environ["BENCH_DATABASE_URL"]
    engine: AsyncEngine = create_engine(url)
    # The production defaults of gql.settings.Settings: argon2id parameters, hashing threads.
    defaults = Settings()
    hasher = PasswordHasher(
        time_cost=defaults.argon2_time_cost,
        memory_cost=defaults.argon2_memory_kib,
        parallelism=defaults.argon2_parallelism,
        type=Type.ID,
    )
    limiter = anyio.CapacityLimiter(defaults.hash_concurrency)
    # Download links name the app's public address (the world's, also over HTTP).
    public_url = os.environ.get("TOEGANG_PUBLIC_URL", o.PUBLIC_URL)

    async def live_session(conn: Any, token: str | None, now: datetime) -> Any:
        """The session row joined with its account, if live (read on `conn`)."""
        if not token or len(token) > 100:
            return None
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        row = (await conn.execute(VIEWER_SQL, {"token_hash": token_hash})).first()
        if row is None or now >= row[1] + ABSOLUTE or now >= row[2] + IDLE:
            return None
        return row

    async def touch(row: Any, now: datetime) -> None:
        """Write last_seen_at at most once a minute, after the read connection went back."""
        if row is not None and now - row[2] >= TOUCH:
            async with engine.begin() as write:
                await write.execute(
                    update(auth_session).where(auth_session.c.id == row[0]).values(last_seen_at=now)
                )

    async def typename(request: Request) -> Response:
        orjson.loads(await request.body())
        return _json({"data": {"__typename": "Query"}})

    async def viewer_name(request: Request) -> Response:
        orjson.loads(await request.body())
        token = request.cookies.get(COOKIE)
        if not token:
            return _json({"data": {"viewer": None}})
        now = datetime.now(UTC)
        async with engine.connect() as conn:
            row = await live_session(conn, token, now)
        await touch(row, now)
        return _json({"data": {"viewer": {"name": row[6]} if row else None}})

    async def viewer(request: Request) -> Response:
        orjson.loads(await request.body())
        now = datetime.now(UTC)
        async with engine.connect() as conn:
            row = await live_session(conn, request.cookies.get(COOKIE), now)
        await touch(row, now)
        if row is None:
            return _json({"data": {"viewer": None}})
        code = row[4]
        return _json(
            {
                "data": {
                    "viewer": {
                        "id": base64.urlsafe_b64encode(f"Viewer:{row[3]}".encode()).decode(),
                        "accessCode": "-".join(code[i : i + 4] for i in range(0, len(code), 4)),
                        "usage": row[5],
                        "name": row[6],
                        "email": row[7],
                        "kvkNumber": row[8],
                        "isMainUser": row[9],
                        "sessionExpiresAt": min(row[1] + ABSOLUTE, now + IDLE).isoformat(),
                    }
                }
            }
        )

    async def viewer_company(request: Request) -> Response:
        orjson.loads(await request.body())
        now = datetime.now(UTC)
        found = None
        async with engine.connect() as conn:
            row = await live_session(conn, request.cookies.get(COOKIE), now)
            if row is not None and row[8] is not None:
                found = (await conn.execute(COMPANY_SQL, {"kvk_number": row[8]})).first()
        await touch(row, now)
        if row is None:
            return _json({"data": {"viewer": None}})
        return _json(
            {
                "data": {
                    "viewer": {
                        "name": row[6],
                        "company": {
                            "name": found[0],
                            "legalForm": found[1],
                            "visitingAddress": {"city": found[2]},
                        }
                        if found
                        else None,
                    }
                }
            }
        )

    async def log_in(request: Request) -> Response:
        given = orjson.loads(await request.body())["variables"]["input"]
        code = given["accessCode"].replace("-", "").replace(" ", "").upper()
        async with engine.connect() as conn:
            row = (await conn.execute(LOGIN_SQL, {"access_code": code})).first()

        def verify() -> bool:
            try:
                return row is not None and hasher.verify(row[2], given["password"])
            except VerificationError:
                return False

        if row is None or not await anyio.to_thread.run_sync(verify, limiter=limiter):
            return _json({"data": {"logIn": {"__typename": "InvalidCredentials"}}})
        now = datetime.now(UTC)
        # A device session, as logIn with session: TOKEN starts one: the session row and
        # its first token pair, hashes only.
        token, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with engine.begin() as conn:
            session_id = (
                await conn.execute(
                    auth_session.insert()
                    .values(
                        account_id=row[0],
                        kind="TOKEN",
                        created_at=now,
                        last_seen_at=now,
                        client_ip=request.client.host if request.client else "",
                        device_name=given["deviceName"],
                        authenticated_at=now,
                        refreshed_at=now,
                    )
                    .returning(auth_session.c.id)
                )
            ).scalar_one()
            await conn.execute(
                device_token.insert().values(
                    session_id=session_id,
                    access_hash=hashlib.sha256(token.encode()).hexdigest(),
                    refresh_hash=hashlib.sha256(refresh.encode()).hexdigest(),
                    issued_at=now,
                )
            )
        return _json(
            {
                "data": {
                    "logIn": {
                        "__typename": "LogInPayload",
                        "token": token,
                        "expiresAt": (now + DEVICE_SESSION).isoformat(),
                        "viewer": {"name": row[1]},
                    }
                }
            }
        )

    async def orders_page(request: Request) -> Response:
        orjson.loads(await request.body())
        now = datetime.now(UTC)
        products: dict[str, Any] = {}
        companies: dict[str, Any] = {}
        async with engine.connect() as conn:
            row = await live_session(conn, request.cookies.get(COOKIE), now)
            if row is not None:
                scope = (await conn.execute(o.SCOPE_SQL, {"account_id": row[3]})).first()
                organisation = o.organisation_of(scope)
                if organisation is not None:
                    read, where = o.ORGANISATION_PAGE_SQL, {"organisation": organisation}
                else:
                    read, where = o.OWN_PAGE_SQL, {"account_id": row[3]}
                page = (await conn.execute(read, {**where, "limit": o.PAGE + 1})).all()
                shown = page[: o.PAGE]
                if shown:
                    codes = o.distinct(r[o.O_PRODUCT] for r in shown)
                    found = await conn.execute(o.PRODUCTS_SQL, {"codes": codes, "at": now})
                    products = {r[o.P_CODE]: r for r in found}
                    kvks = o.distinct(r[o.O_KVK] for r in shown)
                    found = await conn.execute(o.COMPANIES_SQL, {"kvk_numbers": kvks})
                    companies = {o.company_key(r): r for r in found}
        await touch(row, now)
        if row is None:
            return _raw_json(o.error_json("UNAUTHENTICATED"))
        return _raw_json(o.orders_json(page, products, companies, _aware))

    async def place_order(request: Request) -> Response:
        given = orjson.loads(await request.body())["variables"]["input"]
        now = datetime.now(UTC)
        async with engine.connect() as conn:
            row = await live_session(conn, request.cookies.get(COOKIE), now)
        await touch(row, now)
        if row is None:
            return _raw_json(o.error_json("UNAUTHENTICATED"))
        account_id = row[3]
        async with engine.connect() as conn:
            buyer = (await conn.execute(o.ACCOUNT_SQL, {"account_id": account_id})).first()
        assert buyer is not None and o.account_field(buyer, "active")
        assert o.account_field(buyer, "usage") == "PRIVATE"
        assert o.account_field(buyer, "payment_method") == "BALANCE"
        code = given["productCode"].strip().upper()
        async with engine.connect() as conn:
            found = (await conn.execute(o.PRODUCT_SQL, {"code": code, "at": now})).first()
        assert found is not None and found[o.P_ORDERABLE] and found[o.P_PRICE] is not None
        price_cents = found[o.P_PRICE]
        kvk, key = given["kvkNumber"].strip(), given["idempotencyKey"].strip()
        assert len(kvk) == 8 and kvk.isdigit() and 0 < len(key) <= 100
        scope = f"account:{account_id}"
        claim = {"scope": scope, "key": key}
        async with engine.connect() as conn:
            conn = await conn.execution_options(toegang_immediate=True)
            async with conn.begin():
                assert (await conn.execute(o.KEY_SQL, claim)).first() is None
                await conn.execute(
                    o.CLAIM_SQL,
                    o.b(
                        **claim,
                        operation=o.OPERATION,
                        input_hash=o.fingerprint(code, kvk),
                        now=now,
                    ),
                )
                assert (await conn.execute(o.MAINTENANCE_SQL, {"now": now})).first() is None
                assert (await conn.execute(o.COMPANY_SQL, {"kvk_number": kvk})).first()
                order_id = (
                    await conn.execute(
                        o.INSERT_ORDER_SQL,
                        o.b(
                            reference=o.new_reference(now),
                            product_code=code,
                            kvk_number=kvk,
                            price_cents=price_cents,
                            account_id=account_id,
                            language=o.account_field(buyer, "language"),
                            now=now,
                        ),
                    )
                ).scalar_one()
                debited = await conn.execute(
                    o.DEBIT_SQL, o.b(account_id=account_id, amount=price_cents, now=now)
                )
                assert debited.first() is not None
                await conn.execute(
                    o.LEDGER_SQL,
                    o.b(account_id=account_id, amount=-price_cents, order_id=order_id, now=now),
                )
                await conn.execute(
                    o.COMPLETE_SQL, o.b(**claim, result_ref=f"order:{order_id}", now=now)
                )
        # Its document, as delivery.deliver makes it.
        async with engine.connect() as conn:
            placed = (await conn.execute(o.ORDER_ROW_SQL, {"order_id": order_id})).first()
            made_of = (await conn.execute(o.PRODUCT_ROW_SQL, {"code": code})).first()
            about = (await conn.execute(o.COMPANY_SQL, {"kvk_number": kvk})).first()
        made_at = datetime.now(UTC)
        content, media_type, filename = await anyio.to_thread.run_sync(
            lambda: o.render_document(placed, made_of, about, made_at)
        )
        async with engine.connect() as conn:
            conn = await conn.execution_options(toegang_immediate=True)
            async with conn.begin():
                chunks = [
                    content[i : i + o.CHUNK_BYTES] for i in range(0, len(content), o.CHUNK_BYTES)
                ]
                file_id = (
                    await conn.execute(
                        o.INSERT_FILE_SQL,
                        o.b(
                            sha256=hashlib.sha256(content).hexdigest(),
                            size=len(content),
                            chunks=len(chunks),
                            content_type=media_type,
                            filename=filename[:200],
                            now=made_at,
                        ),
                    )
                ).scalar_one()
                for seq, data in enumerate(chunks):
                    await conn.execute(o.INSERT_CHUNK_SQL, o.b(file_id=file_id, seq=seq, data=data))
                delivered = await conn.execute(
                    o.DELIVERED_SQL, o.b(order_id=order_id, file_id=file_id, now=made_at)
                )
                assert delivered.first() is not None
        async with engine.connect() as conn:
            view = (await conn.execute(o.ORDER_VIEW_SQL, {"order_id": order_id})).first()
        return _raw_json(o.place_order_json(view, public_url, _aware))

    async def healthz(_: Request) -> Response:
        return _json({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    return Starlette(
        routes=[
            Route("/typename", typename, methods=["POST"]),
            Route("/viewer-name", viewer_name, methods=["POST"]),
            Route("/viewer", viewer, methods=["POST"]),
            Route("/viewer-company", viewer_company, methods=["POST"]),
            Route("/orders", orders_page, methods=["POST"]),
            Route("/place-order", place_order, methods=["POST"]),
            Route("/log-in", log_in, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
