"""A server process killed mid-flight leaves an intact SQLite database holding every acknowledged change."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.support.factories import PASSWORD
from tests.support.live import free_port, live_server, server_env

pytestmark = pytest.mark.e2e

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) {
    __typename
    ... on RequestAccessCodePayload { delivery }
  }
}
"""

CONCURRENCY = 12
LOAD_SECONDS = 2.0


def client_address(n: int) -> str:
    """A distinct client per request, so the per-client mail limit never answers instead."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def test_a_server_killed_mid_flight_leaves_an_intact_database_with_every_acknowledged_change(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given: a server behind a (trusted) proxy on loopback, with its mail dispatcher writing too
    env = server_env(
        database_url=sqlite_url,
        data_dir=tmp_path / "data",
        port=free_port(),
        TOEGANG_TRUSTED_PROXIES="127.0.0.1",
    )
    acknowledged: list[str] = []
    lost: list[str] = []
    numbers = itertools.count()
    stop = asyncio.Event()

    with live_server(env, log_path=tmp_path / "server.log") as server:
        async with server.async_client() as http:

            async def apply_again_and_again() -> None:
                while not stop.is_set():
                    n = next(numbers)
                    email = f"aanvrager{n}@example.nl"
                    variables = {
                        "input": {
                            "usage": "PRIVATE",
                            "name": "Duurzame Aanvrager",
                            "email": email,
                            "password": PASSWORD,
                        }
                    }
                    try:
                        response = await http.post(
                            "/graphql",
                            json={"query": REQUEST_ACCESS_CODE, "variables": variables},
                            headers={"X-Forwarded-For": client_address(n)},
                        )
                    except httpx.TransportError:
                        lost.append(email)  # in flight when the process died
                        return
                    result = response.json()["data"]["requestAccessCode"]
                    assert result == {"__typename": "RequestAccessCodePayload", "delivery": "EMAIL"}
                    acknowledged.append(email)

            # when: requests keep coming, and the process is killed among them
            workers = [asyncio.create_task(apply_again_and_again()) for _ in range(CONCURRENCY)]
            await asyncio.sleep(LOAD_SECONDS)
            server.kill()
            stop.set()
            await asyncio.gather(*workers)

    # then
    assert lost, "the kill came between requests; nothing was in flight"
    assert len(acknowledged) >= CONCURRENCY
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        accounts = {email for (email,) in db.execute("SELECT email FROM account")}
        mails = {
            to
            for (to,) in db.execute(
                "SELECT recipient FROM outbox_message WHERE template = 'access_code_issued'"
            )
        }
    assert set(acknowledged) <= accounts
    assert set(acknowledged) <= mails
    assert accounts == mails  # each account and its mail were committed together, or neither
