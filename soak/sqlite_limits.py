"""What one SQLite file sustains on this machine: write transactions per second.

    python -m soak.sqlite_limits                      # SQLite, 1 and 4 processes, 10 s each
    python -m soak.sqlite_limits --backend postgresql # the same on a throwaway cluster
    python -m soak.sqlite_limits --seconds 20 --processes 1 2 4 8

Two measures, each with 1 and with 4 processes writing at once (each its own engine, as
separate `toegang serve` processes are):

- **write**: placeOrder's write transaction alone, with the app's own code and engine
  (BEGIN IMMEDIATE, WAL, synchronous=FULL): the idempotency key claimed, the company read, the
  order inserted, the balance debited with its ledger entry, the key completed, commit.
- **placeOrder**: the whole use case through the service layer (`place_order`), which also
  renders and stores the order's PDF in a second transaction.

Prints one table with transactions per second, p50/p99 of one transaction and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gql.clock import Clock
from gql.db import Database
from gql.demo import seed
from gql.migrate import upgrade
from gql.models.accounts import Usage
from gql.models.ledger import EntryKind
from gql.models.orders import Order, OrderPayment, OrderStatus
from gql.services import register
from gql.services.accounts.accounts import new_account
from gql.services.ledger import balance
from gql.services.orders.orders import new_reference, place_order
from gql.services.shared import idempotency
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings

KVK = "90000001"
PRICE_CENTS = 250


def _deps(url: str, data_dir: Path) -> Deps:
    settings = Settings(
        env="development",
        database_url=url,
        data_dir=data_dir,
        secret_key="limits-secret-key-that-is-long-enough-0123456789",
        run_dispatcher=False,
    )
    return Deps(
        db=Database(url),
        hashing=PasswordHashing(HashParameters(19456, 2, 1), concurrency=1),
        clock=Clock(),
        settings=settings,
    )


async def _prepare(url: str, data_dir: Path, accounts: int) -> list[int]:
    deps = _deps(url, data_dir)
    try:
        await seed(deps)
        ids = []
        async with deps.db.write() as session:
            now = deps.clock.now()
            for n in range(accounts):
                account = await new_account(
                    session,
                    usage=Usage.PRIVATE,
                    name=f"Limiet {n}",
                    email=f"limiet{n}@example.invalid",
                    password_hash="x",
                    now=now,
                )
                assert account.id is not None
                await balance.credit(
                    session,
                    account_id=account.id,
                    amount_cents=10**9,
                    kind=EntryKind.CORRECTION,
                    now=now,
                )
                ids.append(account.id)
            await session.commit()
        return ids
    finally:
        await deps.db.dispose()


async def _write_transaction(deps: Deps, account_id: int) -> None:
    """placeOrder's write transaction, statement for statement, without the document."""
    now = deps.clock.now()
    key = str(uuid.uuid4())
    scope = f"account:{account_id}"
    fingerprint = idempotency.fingerprint("placeOrder", {"product": "EXTRACT", "kvk": KVK})
    async with deps.db.write() as session:
        first = await idempotency.claim(
            session, scope=scope, key=key, operation="placeOrder", input_hash=fingerprint, now=now
        )
        assert first is None
        assert await register.get_company(session, KVK) is not None
        order = Order(
            reference=new_reference(now),
            product_code="EXTRACT",
            kvk_number=KVK,
            price_cents=PRICE_CENTS,
            account_id=account_id,
            payment_method=OrderPayment.BALANCE,
            status=OrderStatus.PLACED,
            placed_at=now,
        )
        session.add(order)
        await session.flush()
        assert order.id is not None
        await balance.debit(
            session,
            account_id=account_id,
            amount_cents=PRICE_CENTS,
            kind=EntryKind.ORDER,
            now=now,
            order_id=order.id,
        )
        await idempotency.complete(
            session, scope=scope, key=key, result_ref=f"order:{order.id}", now=now
        )
        await session.commit()


async def _place_order(deps: Deps, account_id: int) -> None:
    await place_order(
        deps,
        caller=Caller(
            client_ip="127.0.0.1", language="nl", request_id="limits", account_id=account_id
        ),
        product_code="EXTRACT",
        kvk_number=KVK,
        financial_year_end=None,
        idempotency_key=str(uuid.uuid4()),
    )


async def _loop(url: str, data_dir: str, what: str, account_id: int, gate: Any) -> list[float]:
    deps = _deps(url, Path(data_dir))
    action = _write_transaction if what == "write" else _place_order
    try:
        await action(deps, account_id)  # connections opened, statements compiled
        ready, go, window = gate
        ready.put(os.getpid())
        await asyncio.to_thread(go.wait)
        end = window.value
        took = []
        while time.time() < end:
            began = time.perf_counter()
            await action(deps, account_id)
            took.append((time.perf_counter() - began) * 1000)
        return took
    finally:
        await deps.db.dispose()


def _process(url: str, data_dir: str, what: str, account_id: int, gate: Any, out: Any) -> None:
    out.put(asyncio.run(_loop(url, data_dir, what, account_id, gate)))


def measure(
    url: str, data_dir: Path, what: str, account_ids: list[int], processes: int, seconds: float
) -> dict[str, float]:
    """`processes` processes, each warmed up, then all writing for the same `seconds`."""
    context = multiprocessing.get_context("spawn")
    results, ready, go = context.Queue(), context.Queue(), context.Event()
    window = context.Value("d", 0.0)
    started = [
        context.Process(
            target=_process,
            args=(url, str(data_dir), what, account_ids[n], (ready, go, window), results),
        )
        for n in range(processes)
    ]
    for process in started:
        process.start()
    for _ in started:
        ready.get(timeout=300)
    window.value = time.time() + seconds
    go.set()
    took: list[float] = []
    for _ in started:
        took += results.get(timeout=seconds + 300)
    for process in started:
        process.join()
    return {
        "transactions": len(took),
        "per_second": len(took) / seconds,
        "p50": statistics.median(took) if took else 0.0,
        "p99": statistics.quantiles(took, n=100)[98] if len(took) > 1 else 0.0,
    }


def raw_commits(path: Path, seconds: float) -> dict[str, float]:
    """The file's own ceiling: sqlite3 in one thread, the app's pragmas, one small insert
    per BEGIN IMMEDIATE ... COMMIT (what the disk's fsync allows)."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE IF NOT EXISTS raw_limit (id INTEGER PRIMARY KEY, at REAL)")
    took = []
    end = time.time() + seconds
    while time.time() < end:
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO raw_limit (at) VALUES (?)", (time.time(),))
        conn.execute("COMMIT")
        took.append((time.perf_counter() - began) * 1000)
    conn.close()
    return {
        "transactions": len(took),
        "per_second": len(took) / seconds,
        "p50": statistics.median(took),
        "p99": statistics.quantiles(took, n=100)[98],
    }


def machine() -> str:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"nproc {len(os.sched_getaffinity(0))}, {cpu}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m soak.sqlite_limits", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--only", choices=("write", "placeOrder"))
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="toegang-limits-"))
    cluster = None
    try:
        if args.backend == "postgresql":
            from soak.world import _create_database
            from tests.support.pgcluster import Cluster

            cluster = Cluster()
            base = cluster.start()
            asyncio.run(_create_database(base))
            url = f"{base}/soak"
        else:
            url = f"sqlite+aiosqlite:///{root / 'toegang.db'}"
        data_dir = root / "data"
        data_dir.mkdir()
        upgrade(url, environment="development")
        account_ids = asyncio.run(_prepare(url, data_dir, max(args.processes)))
        rows = []
        if args.backend == "sqlite" and not args.only:
            rows.append(("raw insert (sqlite3)", 1, raw_commits(root / "raw.db", args.seconds)))
        for what in ("write", "placeOrder"):
            if args.only and what != args.only:
                continue
            for processes in args.processes:
                print(
                    f"[limits] {what}, {processes} process(es), {args.seconds:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
                rows.append(
                    (
                        what,
                        processes,
                        measure(url, data_dir, what, account_ids, processes, args.seconds),
                    )
                )
        print(
            f"\n{args.backend}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}, load average {os.getloadavg()[0]:.1f} at the end\n"
        )
        print("| transaction | processes | per second | p50 ms | p99 ms |")
        print("|---|--:|--:|--:|--:|")
        for what, processes, result in rows:
            print(
                f"| {what} | {processes} | {result['per_second']:.0f} | {result['p50']:.1f} | {result['p99']:.1f} |"
            )
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
