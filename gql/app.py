"""The Starlette application, wired explicitly from one Settings object."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gql.clock import Clock
from gql.db import Database
from gql.demo import demo_access_codes_present
from gql.downloads import DownloadEndpoint, LinkDownloadEndpoint, StatementDownloadEndpoint
from gql.http import GraphQLEndpoint, client_ip
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.middleware import RequestMiddleware
from gql.migrate import current_revision, head_revision
from gql.payment_pages import ReturnPage, WebhookEndpoint
from gql.psp.checkout import checkout_routes
from gql.psp.sandbox import SandboxProvider
from gql.schema.root import executor
from gql.services.ledger.statements import STATEMENT_ROUTE
from gql.services.shared.deps import Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings
from gql.worker import worker_jobs

STATIC = Path(__file__).parent / "static"
GRAPHIQL_ASSETS = STATIC / "graphiql"
TRUSTED_DOCUMENTS = Path(__file__).parent / "data" / "trusted-documents.json"


def load_trusted_documents() -> dict[str, str]:
    """The manifest generated from frontend-contract/operations (id -> document)."""
    if not TRUSTED_DOCUMENTS.exists():
        return {}
    data = orjson.loads(TRUSTED_DOCUMENTS.read_bytes())
    return {str(k): str(v) for k, v in data.items()}


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hashing: PasswordHashing | None = None,
) -> Starlette:
    """Build the app; nothing runs until its lifespan starts."""
    db = Database(settings.database_url, ca_file=settings.database_ca_file)
    hashing = hashing or PasswordHashing(
        HashParameters(
            settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
        ),
        concurrency=settings.hash_concurrency,
    )
    deps = Deps(db=db, hashing=hashing, clock=clock or Clock(), settings=settings)
    graphiql_index = GRAPHIQL_ASSETS / "index.html"
    graphiql_html = None
    if not settings.trusted_documents_only:
        graphiql_html = (
            graphiql_index.read_text()
            if graphiql_index.exists()
            else "<!doctype html><title>Toegang</title><p>GraphiQL is not built: run "
            "<code>make graphiql</code>.</p>"
        )
    endpoint = GraphQLEndpoint(
        # Trusted-documents mode: no introspection either (GraphiQL is off above).
        executor=executor(introspection=not settings.trusted_documents_only),
        deps=deps,
        graphiql_html=graphiql_html,
        trusted_documents=load_trusted_documents(),
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await current_revision(db.engine)
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        head = head_revision()
        if current != head:
            return JSONResponse(
                {"status": "unavailable", "migration": current, "head": head}, status_code=503
            )
        return JSONResponse({"status": "ok", "migration": current})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.is_production and await demo_access_codes_present(deps):
            await db.dispose()
            # Their passwords are in the README: nobody may sign in with them for real.
            raise RuntimeError(
                "refusing to serve in production: a demo access code exists in this database"
            )
        await deps.hashing.prepare()
        stop = asyncio.Event()
        task = None
        if settings.run_dispatcher:
            dispatcher = Dispatcher(
                db,
                settings,
                deps.clock,
                make_senders(settings, db),
                jobs=worker_jobs(deps),
            )
            task = asyncio.create_task(dispatcher.run_forever(stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
            await db.dispose()

    routes: list[Route | Mount] = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/files/{file_id}", DownloadEndpoint(deps).handle, methods=["GET"]),
        Route("/uittreksel/{token}", LinkDownloadEndpoint(deps).handle, methods=["GET"]),
        Route(STATEMENT_ROUTE, StatementDownloadEndpoint(deps).handle, methods=["GET"]),
        Route("/psp/webhook", WebhookEndpoint(deps).handle, methods=["POST"]),
        Route("/betaling/{public_id}", ReturnPage(deps).handle, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if settings.psp == "sandbox":
        # The sandbox provider's checkout page, where payers decide its payments.
        sandbox = SandboxProvider(db, settings, deps.clock)
        routes.append(Mount("/sandbox", routes=checkout_routes(sandbox)))
    if GRAPHIQL_ASSETS.exists() and not settings.trusted_documents_only:
        routes.append(
            Mount("/graphiql-assets", StaticFiles(directory=GRAPHIQL_ASSETS), name="graphiql")
        )
    middleware = [
        Middleware(
            RequestMiddleware,
            settings=settings,
            client_ip=lambda scope: client_ip(Request(scope), settings.trusted_proxies),
        ),
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "content-type",
                "authorization",
                "accept-language",
                "graphql-require-preflight",
            ],
            expose_headers=["x-request-id"],
            max_age=600,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.deps = deps
    app.state.public_reads = endpoint.public_reads
    return app


def create_app_from_env() -> Starlette:
    """The app from the TOEGANG_ environment, for `uvicorn --factory gql.app:create_app_from_env`.

    `toegang serve` covers the usual case; the factory is for uvicorn's own options (TLS,
    several workers). Run it with `--no-proxy-headers`: only TOEGANG_TRUSTED_PROXIES decides
    whose X-Forwarded-For is believed.
    """
    from gql import logs

    settings = Settings.from_env()
    logs.configure(settings.log_level)
    return create_app(settings)
