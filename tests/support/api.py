"""Talking to the app the way clients do: GraphQL documents over HTTP, in process.

async with running_app(make_settings(url, tmp_path / "data"), clock) as app:
    async with http_client(app) as client:
        body = await gql(client, "query { viewer { id } }")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from starlette.applications import Starlette

from gql.app import create_app
from gql.clock import FrozenClock
from gql.keys import Purpose, keyring
from gql.models.outbox import OutboxMessage
from gql.services.accounts import recovery
from gql.services.shared.hashing import PasswordHashing
from gql.settings import Settings

# OWASP's minimum argon2id parameters keep the suite fast; one test pins the production default.
TEST_ARGON2 = {"argon2_memory_kib": 19456, "argon2_time_cost": 2, "argon2_parallelism": 1}


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


@asynccontextmanager
async def running_app(
    settings: Settings, clock: FrozenClock, hashing: PasswordHashing | None = None
) -> AsyncIterator[Starlette]:
    """The app with settings (or hashing) of a test's own, its lifespan running."""
    application = create_app(settings, clock=clock, hashing=hashing)
    async with LifespanManager(application):
        yield application


def http_client(app: Starlette, ip: str = "127.0.0.1", **kwargs: Any) -> httpx.AsyncClient:
    """A client that talks HTTP to the app in process, from the given address."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", **kwargs)


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
    keys = keyring(app.state.deps.settings.secret_key)
    async with app.state.deps.db.read() as session:
        rows = list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )
    for row in rows:
        row.body = keys.unseal(Purpose.MAIL_BODY, row.body) if row.body else ""
    return rows


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


async def process_recovery(app: Starlette) -> int:
    """Run the worker's recovery job once, as the dispatcher loop of `toegang serve` does."""
    return await recovery.process_recovery_requests(app.state.deps)


async def gql_upload(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, tuple[str, bytes, str]]],
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A GraphQL multipart request (the upload spec): `files` maps a form key to
    (variable path, (filename, bytes, declared type)), e.g.
    {"0": ("variables.input.document", ("jaarrekening.pdf", pdf, "application/pdf"))}."""
    mapping = {key: [path] for key, (path, _) in files.items()}
    return await client.post(
        "/graphql",
        data={
            "operations": orjson.dumps({"query": document, "variables": variables}).decode(),
            "map": orjson.dumps(mapping).decode(),
        },
        files={key: upload for key, (_, upload) in files.items()},
        headers={"graphql-require-preflight": "1", **(headers or {})},
    )
