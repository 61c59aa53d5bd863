"""Shared fixtures: a fresh migrated database per test on SQLite and PostgreSQL, the app over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.migrate import upgrade
from gql.settings import Settings
from tests.support.api import http_client, make_settings, running_app
from tests.support.backoffice import STAFF_IP
from tests.support.factories import staff_client_login
from tests.support.pgcluster import Cluster

BACKENDS = [b for b in os.environ.get("TOEGANG_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


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


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    async with running_app(settings, clock) as application:
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as c:
        yield c


@pytest.fixture
async def staff(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A staff member signed in (with TOTP) from another address than the applicants'."""
    async with http_client(app, ip=STAFF_IP) as staff_client:
        await staff_client_login(app, staff_client)
        yield staff_client
