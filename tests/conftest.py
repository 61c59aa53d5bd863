"""Shared fixtures: a fresh migrated database per test on SQLite and PostgreSQL, the app over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from starlette.applications import Starlette

from gql.app import create_app
from gql.clock import FrozenClock
from gql.mail.sealing import unseal
from gql.migrate import upgrade
from gql.models.outbox import OutboxMessage
from gql.services.accounts import recovery
from gql.services.shared.hashing import PasswordHashing
from gql.settings import Settings
from tests.pgcluster import Cluster

BACKENDS = [b for b in os.environ.get("TOEGANG_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
# OWASP's minimum argon2id parameters keep the suite fast; one test pins the production default.
TEST_ARGON2 = {"argon2_memory_kib": 19456, "argon2_time_cost": 2, "argon2_parallelism": 1}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; every test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster with a migrated template database."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL not among TOEGANG_TEST_BACKENDS")
    cluster = Cluster()
    base = cluster.start()
    try:

        async def make_template() -> None:
            conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres")
            await conn.execute("CREATE DATABASE toegang_template")
            await conn.close()

        def setup() -> None:
            asyncio.run(make_template())
            upgrade(f"{base}/toegang_template")

        # May be first asked for inside a running event loop: set up in a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(setup).result()
        yield base
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _fresh_postgres(base: str) -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE toegang_template STRATEGY FILE_COPY")
    finally:
        await conn.close()
    return f"{base}/{name}", name


async def _drop_postgres(base: str, name: str) -> None:
    admin = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A fresh database at the latest migration, on each backend in turn."""
    if backend == "sqlite":
        path = tmp_path / "toegang.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    base = request.getfixturevalue("postgres_server")
    url, name = await _fresh_postgres(base)
    yield url
    await _drop_postgres(base, name)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh SQLite database, for tests that are about one process on one machine."""
    path = tmp_path / "toegang.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "development",
        "database_url": database_url,
        "data_dir": data_dir,
        "public_url": "http://127.0.0.1:8000",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "run_dispatcher": False,
        "cors_origins": ("http://127.0.0.1:5173",),
        **TEST_ARGON2,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@asynccontextmanager
async def running_app(
    settings: Settings, clock: FrozenClock, hashing: PasswordHashing | None = None
) -> AsyncIterator[Starlette]:
    """The app with settings (or hashing) of a test's own, its lifespan running."""
    application = create_app(settings, clock=clock, hashing=hashing)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    async with running_app(settings, clock) as application:
        yield application


def http_client(app: Starlette, ip: str = "127.0.0.1", **kwargs: Any) -> httpx.AsyncClient:
    """A client that talks HTTP to the app in process, from the given address."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", **kwargs)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as c:
        yield c


async def gql(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL document as JSON; returns the decoded response body."""
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def outbox(app: Starlette) -> list[OutboxMessage]:
    """Every message queued so far, oldest first, with its body opened for reading.

    First the worker's recovery job runs, as the dispatcher loop of `toegang serve` does
    within a poll interval: reset and new-code mails are queued by it, not by the request.
    The database holds bodies sealed (and emptied once sent); the rows returned here are
    detached copies, so opening them changes nothing stored.
    """
    await process_recovery(app)
    key = app.state.deps.settings.secret_key
    async with app.state.deps.db.read() as session:
        rows = list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )
    for row in rows:
        row.body = unseal(row.body, secret_key=key) if row.body else ""
    return rows


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


async def process_recovery(app: Starlette) -> int:
    """Run the worker's recovery job once, as the dispatcher loop of `toegang serve` does."""
    return await recovery.process_recovery_requests(app.state.deps)
