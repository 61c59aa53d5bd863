"""A process confirming top-ups, killed (SIGKILL) at thirty random moments, leaves an intact
SQLite database holding every credit it acknowledged, and a ledger whose invariants hold."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
from pathlib import Path

import pytest

from gql.clock import FrozenClock
from tests.ledger.support import Entry, assert_ledger_invariants
from tests.support.api import make_settings, running_app
from tests.support.factories import add_account
from tests.support.live import PYTHON, ROOT

pytestmark = pytest.mark.e2e

KILLS = 30
#: How long a worker runs before it is killed: often in its first top-up, at most a few.
RUN_SECONDS = (0.02, 0.6)
LINE_SECONDS = 30.0


class CreditLoop:
    """The credit loop's process (tests/ledger/credit_loop.py), line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.acknowledged: set[int] = set()
        self.worker = 0

    async def until(self, word: str) -> str:
        """Read lines up to the one starting with `word` (its rest is returned), keeping the
        credits acknowledged on the way."""
        assert self.process.stdout is not None
        while True:
            async with asyncio.timeout(LINE_SECONDS):
                raw = await self.process.stdout.readline()
            assert raw.endswith(b"\n"), f"the credit loop ended: {raw!r}"
            first, _, rest = raw.decode().strip().partition(" ")
            if first == "credited":
                self.acknowledged.add(int(rest))
            elif first == word:
                return rest

    async def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()


def integrity_and_credits(path: str) -> tuple[list[tuple[str]], set[int], int]:
    """PRAGMA integrity_check, the payments credited in the ledger, and all top-ups."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        credited = {
            payment_id
            for (payment_id,) in db.execute(
                "SELECT payment_id FROM ledger_entry WHERE kind = 'TOP_UP'"
            )
        }
        (started,) = db.execute("SELECT count(*) FROM payment").fetchone()
    return integrity, credited, started


async def test_top_ups_killed_at_random_moments_keep_every_acknowledged_credit_and_the_invariants(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given: a private account, and the credit loop with the app imported
    settings = make_settings(sqlite_url, tmp_path / "data")
    async with running_app(settings, FrozenClock()) as app:
        await add_account(app)
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db:
        (account_id,) = db.execute("SELECT id FROM account").fetchone()
    seed = random.randrange(2**32)
    moments = random.Random(seed)
    with (tmp_path / "credit_loop.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(PYTHON),
            "-m",
            "tests.ledger.credit_loop",
            sqlite_url,
            str(tmp_path / "data"),
            str(account_id),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    loop = CreditLoop(process)
    seen: dict[int, Entry] = {}
    try:
        assert Path(await loop.until("ready")) == ROOT / "gql"  # this work tree's code
        for kill in range(KILLS):
            # when: a worker confirms top-ups until it is killed at a random moment
            await loop.send("go")
            loop.worker = int(await loop.until("worker"))
            await asyncio.sleep(moments.uniform(*RUN_SECONDS))
            os.kill(loop.worker, signal.SIGKILL)
            await loop.send("reap")
            status = int(await loop.until("reaped"))
            loop.worker = 0
            # then
            context = f"kill {kill + 1} (seed {seed}); see credit_loop.log"
            assert os.WIFSIGNALED(status), f"{context}: the worker ended on its own"
            integrity, credited, started = integrity_and_credits(path)
            assert integrity == [("ok",)], context
            assert loop.acknowledged <= credited, f"{context}: lost credits"
            await assert_ledger_invariants(sqlite_url, seen)
    finally:
        if loop.worker:
            with contextlib.suppress(ProcessLookupError):
                os.kill(loop.worker, signal.SIGKILL)
        if process.returncode is None:
            process.kill()
        await process.wait()
    # Credits were acknowledged, and kills came in the middle of a top-up, not only between.
    assert started > len(loop.acknowledged) > 0, (started, len(loop.acknowledged))
