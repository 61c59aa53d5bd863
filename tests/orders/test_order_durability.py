"""A process killed (SIGKILL) while it places orders leaves an intact SQLite database: the
ledger adds up, every acknowledged order is there, and every order has its document or gets
it from the worker.

The child is a real process that places orders through the service
(`gql.services.orders.orders.place_order`, Deps built as gql/app.py builds them) and prints
each acknowledged order id, flushed. Importing the app and the document makers costs a few
seconds, too much for 30 kills; so one helper process (run as
`python -m tests.orders.test_order_durability`) imports everything once and forks a fresh
child per round, which the test SIGKILLs at a random moment: inside a write transaction,
while its document is rendered, between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy.orm import configure_mappers

from gql.clock import Clock, FrozenClock
from gql.db import Database
from gql.documents import products as documents
from gql.documents import render
from gql.models.accounts import Usage
from gql.models.ledger import EntryKind
from gql.models.register import Company
from gql.services.accounts.accounts import new_account
from gql.services.ledger import balance
from gql.services.orders import delivery
from gql.services.orders.orders import place_order
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings
from tests.support.api import make_settings
from tests.support.live import PYTHON, ROOT

pytestmark = pytest.mark.e2e

KVK = "12345678"
# A plain extract, the sealed one (PAdES: the longest rendering) and a profile, in turn.
PRODUCTS = ("EXTRACT", "CERTIFIED_EXTRACT_DIGITAL", "COMPANY_PROFILE")
KILLS = 30
MAX_SLEEP = 0.4  # seconds after the child is ready; an order takes some tens of ms
START = 1_000_000_00  # a balance no run spends


# ---- the child: places orders until it is killed -------------------------------------------


def deps_for(settings: Settings, clock: Clock | None = None) -> Deps:
    """Deps as gql/app.py builds them."""
    db = Database(settings.database_url, ca_file=settings.database_ca_file)
    hashing = PasswordHashing(
        HashParameters(
            settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
        ),
        concurrency=settings.hash_concurrency,
    )
    return Deps(db=db, hashing=hashing, clock=clock or Clock(), settings=settings)


async def place_until_killed(settings: Settings, account_id: int) -> None:
    deps = deps_for(settings)
    caller = Caller(
        client_ip="127.0.0.1", language="nl", request_id="durability", account_id=account_id
    )
    print(f"ready {os.getpid()}", flush=True)
    for n in itertools.count():
        view = await place_order(
            deps,
            caller=caller,
            product_code=PRODUCTS[n % len(PRODUCTS)],
            kvk_number=KVK,
            financial_year_end=None,
            idempotency_key=str(uuid.uuid4()),
        )
        print(view.id, flush=True)  # committed: acknowledged


def warm_up(settings: Settings) -> None:
    """What each child would otherwise do first, once, without threads (so forking is safe):
    the ORM mappers, the seal, a document of each product (fonts, pyHanko)."""
    configure_mappers()
    now = datetime.now(UTC)
    seal = delivery.seal_of(settings, now)
    company = documents.CompanySnapshot(
        kvk_number=KVK,
        name="Warm B.V.",
        legal_form="Besloten Vennootschap",
        visiting_address=documents.Address("Straat", "1", "1234 AB", "Utrecht"),
    )
    for code in PRODUCTS:
        render.render_product(
            documents.ProductDocument(
                code=documents.ProductCode(code),
                name_nl=code,
                name_en=code,
                company=company,
                extracted_at=now,
                order_reference="2026-WARMWARM",
            ),
            seal=seal,
        )


def zygote(database_url: str, data_dir: str, account_id: int) -> None:
    """Everything imported and warmed up; for each "go" on stdin, fork a child that places
    orders, wait for it to end and report how ("exit <pid> <wait status>")."""
    settings = make_settings(database_url, Path(data_dir))
    warm_up(settings)
    for line in sys.stdin:
        if line.strip() != "go":
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                asyncio.run(place_until_killed(settings, account_id))
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {status}", flush=True)


# ---- the test --------------------------------------------------------------------------------


async def prepare(settings: Settings) -> int:
    """The company ordered about, and a private account (paying from its balance) with
    START cents on it; returns the account id."""
    deps = deps_for(settings)
    now = datetime.now(UTC)
    try:
        async with deps.db.write() as session:
            session.add(
                Company(
                    kvk_number=KVK,
                    name="Duurzaam B.V.",
                    legal_form="Besloten Vennootschap",
                    visiting_street="Straat",
                    visiting_house_number="1",
                    visiting_postal_code="1234 AB",
                    visiting_city="Utrecht",
                    updated_at=now,
                )
            )
            await session.flush()
            account = await new_account(
                session,
                usage=Usage.PRIVATE,
                name="Besteller Bep",
                email="bep@example.nl",
                password_hash="not-used",
                now=now,
            )
            assert account.id is not None
            await balance.credit(
                session,
                account_id=account.id,
                amount_cents=START,
                kind=EntryKind.CORRECTION,
                now=now,
            )
            await session.commit()
            return account.id
    finally:
        await deps.db.dispose()


async def run_worker(settings: Settings) -> int:
    """The worker's pass over orders left PLACED, its clock past WORKER_AFTER."""
    clock = FrozenClock(datetime.now(UTC) + delivery.WORKER_AFTER + timedelta(seconds=1))
    deps = deps_for(settings, clock)
    try:
        done = 0
        for _ in range(10):
            delivered = await delivery.deliver_pending(deps, limit=100)
            done += delivered
            if not delivered:
                break
        return done
    finally:
        await deps.db.dispose()


def lines_of(stream: IO[str]) -> queue.Queue[str | None]:
    """The helper's stdout, line by line, read by a thread (None at its end)."""
    found: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            found.put(line.strip())
        found.put(None)

    threading.Thread(target=read, daemon=True).start()
    return found


def next_line(lines: queue.Queue[str | None], log: Path) -> str:
    try:
        line = lines.get(timeout=30)
    except queue.Empty:
        raise AssertionError(
            "the order process said nothing for 30 s:\n" + log.read_text()
        ) from None
    if line is None:
        raise AssertionError("the order process ended:\n" + log.read_text())
    return line


def check(path: str, acknowledged: set[int]) -> tuple[set[int], int]:
    """The invariants after a kill; returns (orders without their document yet, orders)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # The ledger: balance = Σ amount ≥ 0, held = Σ held delta, 0 ≤ held ≤ balance.
        for account, cents, held, total, held_total in db.execute(
            "SELECT b.account_id, b.balance_cents, b.held_cents, "
            "coalesce(sum(e.amount_cents), 0), coalesce(sum(e.held_delta_cents), 0) "
            "FROM balance b LEFT JOIN ledger_entry e ON e.account_id = b.account_id "
            "GROUP BY b.account_id, b.balance_cents, b.held_cents"
        ):
            assert cents == total >= 0, account
            assert held == held_total, account
            assert 0 <= held <= cents, account
        # One ORDER entry of −price per order paid from the balance, and none without one.
        for order_id, price, entries, amount in db.execute(
            "SELECT o.id, o.price_cents, count(e.id), sum(e.amount_cents) FROM product_order o "
            "LEFT JOIN ledger_entry e ON e.order_id = o.id AND e.kind = 'ORDER' "
            "WHERE o.payment_method = 'BALANCE' GROUP BY o.id, o.price_cents"
        ):
            assert (entries, amount) == (1, -price), order_id
        stray = db.execute(
            "SELECT count(*) FROM ledger_entry WHERE kind = 'ORDER' "
            "AND order_id NOT IN (SELECT id FROM product_order)"
        ).fetchone()
        assert stray == (0,)
        orders = dict(db.execute("SELECT id, status FROM product_order").fetchall())
        assert acknowledged <= orders.keys(), acknowledged - orders.keys()
        assert set(orders.values()) <= {"PLACED", "DELIVERED"}
        # A delivered order's document is stored whole; no document without its order.
        for order_id, file_id, chunks, size, stored in db.execute(
            "SELECT o.id, f.id, f.chunks, f.size, "
            "(SELECT count(*) || ':' || coalesce(sum(length(c.data)), 0) FROM file_chunk c "
            " WHERE c.file_id = f.id) "
            "FROM product_order o LEFT JOIN stored_file f ON f.id = o.file_id "
            "WHERE o.status = 'DELIVERED'"
        ):
            assert file_id is not None and size > 0, order_id
            assert stored == f"{chunks}:{size}", order_id
        orphans = db.execute(
            "SELECT count(*) FROM stored_file WHERE owner_kind = 'order' "
            "AND id NOT IN (SELECT file_id FROM product_order WHERE file_id IS NOT NULL)"
        ).fetchone()
        assert orphans == (0,)
    return {o for o, status in orders.items() if status == "PLACED"}, len(orders)


def test_orders_killed_at_random_moments_leave_the_ledger_whole_and_every_document_made(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given: a private account with a large balance, and a process ready to fork order placers
    settings = make_settings(sqlite_url, tmp_path / "data")
    account_id = asyncio.run(prepare(settings))
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    log = tmp_path / "orders.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    rng = random.Random()
    acknowledged: set[int] = set()
    left_placed = 0  # kills that came between an order's commit and its document's
    started = time.monotonic()
    with log.open("w") as stderr:
        helper = subprocess.Popen(
            [
                str(PYTHON),
                "-m",
                "tests.orders.test_order_durability",
                sqlite_url,
                str(settings.data_dir),
                str(account_id),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert helper.stdin is not None and helper.stdout is not None
        lines = lines_of(helper.stdout)
        try:
            for kill in range(KILLS):
                # On a loaded machine an order takes longer: wait longer while too few orders
                # have been acknowledged for the kills to land among them.
                scale = 1 if len(acknowledged) >= kill // 3 else 4
                # when: a child places orders, and is killed at a random moment
                helper.stdin.write("go\n")
                helper.stdin.flush()
                ready = next_line(lines, log)
                assert ready.startswith("ready "), ready
                pid = int(ready.split()[1])
                time.sleep(rng.uniform(0, MAX_SLEEP * scale))
                os.kill(pid, signal.SIGKILL)
                while not (line := next_line(lines, log)).startswith("exit "):
                    acknowledged.add(int(line))
                _, _, status = line.split()
                assert os.WIFSIGNALED(int(status)), log.read_text()
                assert os.WTERMSIG(int(status)) == signal.SIGKILL

                # then: the database is whole, the ledger adds up, nothing acknowledged is lost
                pending, _ = check(path, acknowledged)
                left_placed += bool(pending)
                # and the worker makes the documents of orders the kill left without one
                assert asyncio.run(run_worker(settings)) == len(pending)
                assert check(path, acknowledged)[0] == set()
        finally:
            helper.stdin.close()
            helper.kill()
            helper.wait(timeout=10)
            helper.stdout.close()
    elapsed = time.monotonic() - started
    _, orders = check(path, acknowledged)
    assert len(acknowledged) >= KILLS // 3, "too few orders acknowledged to mean anything"
    assert orders >= len(acknowledged)
    assert left_placed, "no kill came between an order's commit and its document"
    print(
        f"{KILLS} kills, {len(acknowledged)} acknowledged, {orders} orders, "
        f"{left_placed} left for the worker, {elapsed:.1f} s"
    )


if __name__ == "__main__":
    zygote(sys.argv[1], sys.argv[2], int(sys.argv[3]))
