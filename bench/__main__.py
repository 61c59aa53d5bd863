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
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import ceiling, inproc, loadgen, report
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


async def in_process(
    world: World, scenarios: list[Scenario], args: argparse.Namespace
) -> dict[str, Any]:
    from gql.app import create_app

    production_logging()
    app = create_app(world.settings)
    plain = ceiling.create(world.database_url)
    graphql_client, ceiling_client = inproc.Client(app), inproc.Client(plain)
    cookie = f"{world.settings.session_cookie_name}={world.token}"

    def pair(s: Scenario) -> tuple[inproc.Variant, inproc.Variant]:
        jar = cookie if s.signed_in else None
        return (
            inproc.Variant(s, "graphql", lambda: graphql_client.post("/graphql", s.body, jar)),
            inproc.Variant(s, "ceiling", lambda: ceiling_client.post(s.ceiling_path, s.body, jar)),
        )

    pairs = [pair(s) for s in scenarios]
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app), plain.router.lifespan_context(plain):
        problems = await inproc.check_same_answers(pairs)
        if problems:
            raise SystemExit("bench: answers differ:\n  " + "\n  ".join(problems))
        progress("in process: both sides give the same answers")
        fast = [v for p in pairs for v in p if not v.scenario.slow]
        slow = [v for p in pairs for v in p if v.scenario.slow]
        if fast:
            progress(
                f"in process: {len(fast)} variants × {args.rounds} rounds of {args.block} requests"
            )
            await inproc.measure(
                fast,
                rounds=args.rounds,
                block=lambda _v: args.block,
                progress=lambda m: progress("in process: " + m),
            )
        if slow:
            progress(f"in process: logIn, {args.slow_rounds} rounds of {args.slow_block} requests")
            await inproc.measure(
                slow,
                rounds=args.slow_rounds,
                block=lambda _v: args.slow_block,
                progress=lambda m: progress("in process, logIn: " + m),
            )
    for graphql_side, ceiling_side in pairs:
        g = inproc.summary(graphql_side.cpu_us)
        c = inproc.summary(ceiling_side.cpu_us)
        out[graphql_side.scenario.key] = {
            "graphql": {"cpu_us": g, "wall_us": inproc.summary(graphql_side.wall_us)},
            "ceiling": {"cpu_us": c, "wall_us": inproc.summary(ceiling_side.wall_us)},
            "ratio": g["median"] / c["median"],
            "block": args.slow_block if graphql_side.scenario.slow else args.block,
        }
    return out


def over_http(world: World, scenarios: list[Scenario], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {s.key: {} for s in scenarios}
    cookie = f"{world.settings.session_cookie_name}={world.token}"
    for side in ("graphql", "ceiling"):
        progress(f"over HTTP: starting the {side} server (uvicorn, 1 worker)")
        with loadgen.server(side, world) as base:
            for s in scenarios:
                url = base + ("/graphql" if side == "graphql" else s.ceiling_path)
                progress(
                    f"over HTTP: {side} {s.key}: wrk -c{args.connections} "
                    f"{args.warmup:g} s warm-up + {args.duration:g} s"
                )
                result = loadgen.load(
                    url,
                    s,
                    cookie if s.signed_in else None,
                    bodies=[log_in_body(c) for c in world.sign_in_codes] if s.slow else None,
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
        out[s.key]["ratio"] = out[s.key]["ceiling"]["rps"] / graphql_rps if graphql_rps else None
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--label", default="latest", help="results/<label>.json and .png")
    parser.add_argument("--only", action="append", help="scenario key (repeatable)")
    parser.add_argument("--rounds", type=int, default=21, help="in-process rounds")
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
    world = create_world()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "revision": git_revision(),
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
        shutil.rmtree(world.directory, ignore_errors=True)
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
    progress("done")


if __name__ == "__main__":
    main()
