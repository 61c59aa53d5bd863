"""`python -m bench` (`make bench`): one table, bench/results/<label>.json and .png.

In process: the GraphQL app and the plain ceiling, called directly through ASGI, interleaved
in short blocks; median CPU µs per request and its ratio to the ceiling. Over HTTP: each side
as one uvicorn worker, wrk at 32 connections after a warm-up; requests per second, p50, p99.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import ceiling, inproc, loadgen, raw, report
from bench.env import World, create_world
from bench.scenarios import SCENARIOS, Scenario, log_in_body

RESULTS = Path(__file__).parent / "results"
_started = time.monotonic()


def progress(message: str) -> None:
    print(f"[bench {time.monotonic() - _started:5.1f}s] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
    }


def git_revision() -> str:
    repo = Path(__file__).parent.parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=repo,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "gql"], capture_output=True, text=True, cwd=repo
        ).stdout.strip()
        return rev + ("+dirty gql/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def production_logging() -> None:
    """What `toegang serve` configures (JSON lines at INFO), written to /dev/null."""
    from gql.logs import JsonFormatter

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


SIDES = ("graphql", "ceiling", "raw", "bare")


async def in_process(
    world: World, scenarios: list[Scenario], args: argparse.Namespace
) -> dict[str, Any]:
    """Every scenario on four sides: our app, the engine ceiling, the raw driver, bare strawberry."""
    from gql.app import create_app

    production_logging()
    apps = {
        "graphql": create_app(world.settings),
        "ceiling": ceiling.create(world.database_url),
        "raw": raw.create(world.database_url),
        "bare": raw.create_bare(world.database_url),
    }
    clients = {side: inproc.Client(app) for side, app in apps.items()}
    cookie = f"{world.settings.session_cookie_name}={world.token}"
    buyer = f"{world.settings.session_cookie_name}={world.buyer_token}"

    def variants(s: Scenario) -> list[inproc.Variant]:
        if s.method == "GET":  # a public read: our app only
            return [inproc.Variant(s, "graphql", clients["graphql"].get_caller(s))]
        jar = (buyer if s.buyer else cookie) if s.signed_in else None
        paths = {"graphql": "/graphql"}
        for side in s.sides:
            paths[side] = "/graphql" if side == "bare" else s.ceiling_path
        return [
            inproc.Variant(
                s, side, lambda side=side, path=path: clients[side].post(path, s.next_body(), jar)
            )
            for side, path in paths.items()
        ]

    groups = [variants(s) for s in scenarios]
    runs: list[dict[str, dict[str, float]]] = []
    async with contextlib.AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        problems = await inproc.check_same_answers(groups)
        if problems:
            raise SystemExit("bench: answers differ:\n  " + "\n  ".join(problems))
        progress("in process: every side gives the same answers")
        for run in range(args.runs):
            for group in groups:
                for variant in group:
                    if not variant.scenario.slow:  # slow ones are measured in the first run only
                        variant.cpu_us.clear()
                        variant.wall_us.clear()
            fast = [v for g in groups for v in g if not v.scenario.slow]
            slow = [v for g in groups for v in g if v.scenario.slow]
            label = f"in process, run {run + 1}/{args.runs}: "
            if fast:
                await inproc.measure(
                    fast,
                    rounds=args.rounds,
                    block=lambda _v: args.block,
                    progress=lambda m, label=label: progress(label + m),
                    seed=run + 1,
                )
            if slow and run == 0:
                await inproc.measure(
                    slow,
                    rounds=args.slow_rounds,
                    block=lambda v: v.scenario.block or args.slow_block,
                    progress=lambda m: progress("in process, slow ones: " + m),
                )
            runs.append(
                {
                    f"{v.scenario.key}/{v.side}": inproc.summary(v.cpu_us)["median"]
                    for g in groups
                    for v in g
                    if v.cpu_us
                }
            )
        checkpoint = await wal_checkpoint(world)
    out: dict[str, Any] = {"_checkpoint": checkpoint}
    for group in groups:
        key = group[0].scenario.key
        first = group[0].scenario
        entry: dict[str, Any] = {
            "block": (first.block or args.slow_block) if first.slow else args.block
        }
        for variant in group:
            per_run = [r[f"{key}/{variant.side}"] for r in runs if f"{key}/{variant.side}" in r]
            entry[variant.side] = {
                "cpu_us": {"median": statistics.median(per_run), "runs": per_run},
                "wall_us": inproc.summary(variant.wall_us),
            }
        g = entry["graphql"]["cpu_us"]["median"]
        for side in ("ceiling", "raw", "bare"):
            if side in entry:
                entry[f"ratio_{side}"] = g / entry[side]["cpu_us"]["median"]
        entry["ratio"] = entry.get("ratio_ceiling")
        out[key] = entry
    return out


async def wal_checkpoint(world: World) -> dict[str, Any] | None:
    """After the run, with every app still open: does a passive checkpoint complete fully?

    An unfinished read (a cursor not fetched to its end) would pin an old snapshot and leave
    frames behind; (0, n, n) means no reader held the WAL back.
    """
    if not world.database_url.startswith("sqlite"):
        return None
    import aiosqlite
    from sqlalchemy import make_url

    async with aiosqlite.connect(make_url(world.database_url).database) as conn:
        busy, log, checkpointed = (await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)"))[0]
    complete = busy == 0 and log == checkpointed
    progress(f"passive WAL checkpoint: busy={busy} log={log} checkpointed={checkpointed}")
    return {"busy": busy, "log": log, "checkpointed": checkpointed, "complete": complete}


def over_http(world: World, scenarios: list[Scenario], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {s.key: {} for s in scenarios}
    cookies = {
        False: f"{world.settings.session_cookie_name}={world.token}",
        True: f"{world.settings.session_cookie_name}={world.buyer_token}",
    }
    for side in ("graphql", "ceiling", "raw"):
        progress(f"over HTTP: starting the {side} server (uvicorn, 1 worker)")
        with loadgen.server(side, world) as base:
            for s in scenarios:
                if side != "graphql" and side not in s.sides:
                    continue  # logIn: argon2 is the same on every side
                url = base + ("/graphql" if side == "graphql" else s.ceiling_path)
                if s.method == "GET":
                    url += "?" + s.query_string
                progress(
                    f"over HTTP: {side} {s.key}: wrk -c{args.connections} "
                    f"{args.warmup:g} s warm-up + {args.duration:g} s"
                )
                result = loadgen.load(
                    url,
                    s,
                    cookies[s.buyer] if s.signed_in else None,
                    bodies=[log_in_body(c) for c in world.sign_in_codes]
                    if s.key == "log_in"
                    else None,
                    connections=args.connections,
                    threads=args.threads,
                    warmup_s=args.warmup,
                    duration_s=args.duration,
                )
                if result.errors:
                    progress(f"over HTTP: {side} {s.key}: {result.errors} errors!")
                out[s.key][side] = {
                    "rps": result.rps,
                    "p50_ms": result.p50_ms,
                    "p99_ms": result.p99_ms,
                    "requests": result.requests,
                    "errors": result.errors,
                }
    for s in scenarios:
        graphql_rps = out[s.key]["graphql"]["rps"]
        for side in ("ceiling", "raw"):
            if side in out[s.key] and graphql_rps:
                out[s.key][f"ratio_{side}"] = out[s.key][side]["rps"] / graphql_rps
        out[s.key]["ratio"] = out[s.key].get("ratio_ceiling")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--label", default="latest", help="results/<label>.json and .png")
    parser.add_argument("--only", action="append", help="scenario key (repeatable)")
    parser.add_argument("--rounds", type=int, default=21, help="in-process rounds")
    parser.add_argument("--runs", type=int, default=3, help="in-process runs (median is shown)")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql"], default="sqlite", help="the database"
    )
    parser.add_argument("--block", type=int, default=40, help="requests per in-process block")
    parser.add_argument("--slow-rounds", type=int, default=7, help="rounds for logIn")
    parser.add_argument("--slow-block", type=int, default=2, help="logIn requests per block")
    parser.add_argument("--no-http", action="store_true", help="in process only")
    parser.add_argument("--no-in-process", action="store_true", help="over HTTP only")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    args = parser.parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.only or s.key in args.only]
    if not scenarios:
        parser.error(f"--only: choose from {', '.join(s.key for s in SCENARIOS)}")
    http = not args.no_http
    if http and loadgen.wrk_path() is None:
        progress("wrk not found (apt-get install wrk): skipping the HTTP part")
        http = False

    progress("setting up: migrating and seeding a fresh SQLite database (argon2 defaults)")
    world = create_world(args.backend)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "revision": git_revision(),
        "backend": args.backend,
        "argon2": {
            "memory_kib": world.settings.argon2_memory_kib,
            "time_cost": world.settings.argon2_time_cost,
            "parallelism": world.settings.argon2_parallelism,
            "hash_concurrency": world.settings.hash_concurrency,
        },
        "method": {
            "in_process": {
                "rounds": args.rounds,
                "block": args.block,
                "slow_rounds": args.slow_rounds,
                "slow_block": args.slow_block,
            },
            "http": {
                "tool": "wrk",
                "connections": args.connections,
                "threads": args.threads,
                "warmup_s": args.warmup,
                "duration_s": args.duration,
                "workers": 1,
            }
            if http
            else None,
        },
    }
    try:
        measured_in = {} if args.no_in_process else asyncio.run(in_process(world, scenarios, args))
        measured_http = over_http(world, scenarios, args) if http else {}
    finally:
        world.close()
    results["wal_checkpoint"] = measured_in.pop("_checkpoint", None)
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["scenarios"] = [
        {
            "key": s.key,
            "title": s.title,
            "reads": s.reads,
            "in_process": measured_in.get(s.key),
            "http": measured_http.get(s.key),
        }
        for s in scenarios
    ]
    RESULTS.mkdir(exist_ok=True)
    json_path = RESULTS / f"{args.label}.json"
    json_path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    png_path = RESULTS / f"{args.label}.png"
    report.chart(results, png_path)
    print()
    print(report.table(results))
    print()
    m = results["machine"]
    print(f"{m['cpu']} × {m['nproc']}, Python {m['python']}; wrote {json_path} and {png_path}")
    if results["wal_checkpoint"]:
        print("after the run, a passive WAL checkpoint:", results["wal_checkpoint"])
    progress("done")


if __name__ == "__main__":
    main()
