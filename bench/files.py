"""`python -m bench.files`: the file store (files in the database) at 1, 10 and 25 MiB.

For each backend and size: store a file (one write transaction: the row and its chunks of
1 MiB) and read it back chunk by chunk through the read connection; throughput in MiB/s
(the median of 3 runs) and the Python memory at its peak while doing it (tracemalloc,
measured in a separate pass so it does not slow the timing), which shows whether a whole
file was ever held at once. Prints a table; `--json` writes it too.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson

from gql.db import Database
from gql.files import store
from gql.migrate import upgrade

MIB = 1024 * 1024
SIZES = (1, 10, 25)


async def _put(db: Database, content: bytes) -> store.FileInfo:
    from datetime import UTC, datetime

    async with db.write() as session:
        stored = await store.put(
            session,
            io.BytesIO(content),
            content_type="application/octet-stream",
            filename="bench.bin",
            owner_kind="bench",
            now=datetime.now(UTC),
        )
        await session.commit()
    return stored


async def _read(db: Database, stored: store.FileInfo) -> int:
    total = 0
    async for chunk in store.chunks(db, stored):
        total += len(chunk)
    return total


async def measure(url: str, runs: int) -> list[dict[str, Any]]:
    db = Database(url)
    rows = []
    try:
        for size in SIZES:
            content = os.urandom(size * MIB)
            writes, reads = [], []
            for _ in range(runs):
                started = time.perf_counter()
                stored = await _put(db, content)
                writes.append(time.perf_counter() - started)
                started = time.perf_counter()
                assert await _read(db, stored) == len(content)
                reads.append(time.perf_counter() - started)
            tracemalloc.start()
            await _put(db, content)
            _, write_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await _read(db, stored)
            _, read_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows.append(
                {
                    "size_mib": size,
                    "write_mib_s": size / statistics.median(writes),
                    "read_mib_s": size / statistics.median(reads),
                    "write_peak_mib": write_peak / MIB,
                    "read_peak_mib": read_peak / MIB,
                }
            )
    finally:
        await db.dispose()
    return rows


def _sqlite(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'files.db'}"
    upgrade(url)
    return url


def _postgresql() -> tuple[str, Any]:
    from bench.env import _create_database
    from tests.support.pgcluster import Cluster

    cluster = Cluster()
    base = cluster.start()
    asyncio.run(_create_database(base))
    url = f"{base}/bench"
    upgrade(url)
    return url, cluster


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.files", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="toegang-files-") as directory:
            cluster = None
            if backend == "sqlite":
                url = _sqlite(Path(directory))
            else:
                url, cluster = _postgresql()
            try:
                results[backend] = asyncio.run(measure(url, args.runs))
            finally:
                if cluster is not None:
                    cluster.stop()
    print("backend     size   write MiB/s  read MiB/s  write peak  read peak")
    for backend, rows in results.items():
        for row in rows:
            print(
                f"{backend:<10} {row['size_mib']:>3} MiB  {row['write_mib_s']:>10.0f}  "
                f"{row['read_mib_s']:>10.0f}  {row['write_peak_mib']:>7.1f} MiB"
                f"  {row['read_peak_mib']:>6.1f} MiB"
            )
    if args.json:
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
