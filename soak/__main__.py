"""`python -m soak` (`make soak`): several processes on one database under load and faults.

Per backend (PostgreSQL: a throwaway cluster; SQLite: one shared file) it starts 4 app and
2 worker processes, drives them for --seconds from a load process of its own, SIGKILLs one
app and one worker at random moments and restarts them, runs `toegang invoice-run` twice
meanwhile, then checks the invariants from the database and prints one table per backend.
Exits 1 when any invariant is broken.

    python -m soak                                   # both backends, 60 s each
    python -m soak --backend postgresql --seconds 20
    python -m soak --no-kill
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

import orjson

from soak import checks, world
from soak.load import run_load

_started = time.monotonic()


def progress(message: str) -> None:
    print(f"[soak {time.monotonic() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


def machine() -> str:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{len(os.sched_getaffinity(0))} × {cpu}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class Faults:
    """Kills and restarts, and the CLI's invoice runs, each in a thread at its moment."""

    def __init__(self, soaked: world.World, seconds: float, *, kills: int, rng: random.Random):
        self.world = soaked
        self.kills: list[dict[str, Any]] = []
        self.invoice_runs: list[str] = []
        self.fingerprints: list[dict[int, str]] = []
        self.errors: list[str] = []
        self.plan: list[tuple[float, Any]] = [
            (0.3 * seconds, self.invoice_run),
            (0.5 * seconds, self.fingerprint),
            (0.6 * seconds, self.invoice_run),
        ]
        for n in range(kills):
            # One app and one worker killed in each of `kills` equal slices of the run.
            low, high = 0.1 + 0.8 * n / kills, 0.1 + 0.8 * (n + 1) / kills
            self.plan += [
                (
                    rng.uniform(low, high) * seconds,
                    lambda: self.kill_app(rng.randrange(world.APPS)),
                ),
                (
                    rng.uniform(low, high) * seconds,
                    lambda: self.kill_worker(rng.randrange(world.WORKERS)),
                ),
            ]
        self.plan.sort(key=lambda item: item[0])
        self.threads: list[threading.Thread] = []
        self.down: set[str] = set()  # processes being restarted: not killed again meanwhile
        self.lock = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        began = time.monotonic()
        for offset, action in self.plan:
            if stop.wait(max(0.0, began + offset - time.monotonic())):
                return
            thread = threading.Thread(target=self._guarded, args=(action,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _guarded(self, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # reported as a failed check
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=120)

    def _claim(self, name: str) -> bool:
        with self.lock:
            if name in self.down:
                return False
            self.down.add(name)
            return True

    def kill_app(self, n: int) -> None:
        app = self.world.apps[n]
        if not self._claim(app.name):
            n = (n + 1) % world.APPS
            app = self.world.apps[n]
            if not self._claim(app.name):
                return
        at = time.time()
        progress(f"SIGKILL app{n} (port {app.port})")
        app.kill()
        time.sleep(1.0)
        app.start()
        app.wait_healthy()
        self.kills.append({"kind": "app", "port": app.port, "at": at, "back": time.time()})
        self.down.discard(app.name)
        progress(f"app{n} back after {time.time() - at:.1f} s")

    def kill_worker(self, n: int) -> None:
        worker = self.world.workers[n]
        if not self._claim(worker.name):
            return
        at = time.time()
        progress(f"SIGKILL worker{n}")
        worker.kill()
        time.sleep(1.0)
        worker.start()
        self.kills.append({"kind": "worker", "port": None, "at": at, "back": time.time()})
        self.down.discard(worker.name)

    def invoice_run(self) -> None:
        done = subprocess.run(
            [str(world.TOEGANG), "invoice-run", "--month", self.world.seeded.last_month],
            env=self.world.env("cli", app=False),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        line = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:]
        self.invoice_runs.append(f"exit {done.returncode}: {' '.join(line)}")
        progress(f"toegang invoice-run: {self.invoice_runs[-1]}")
        if done.returncode != 0:
            self.errors.append(f"toegang invoice-run failed: {done.stderr[-2000:]}")

    def fingerprint(self) -> None:
        self.fingerprints.append(checks.ledger_fingerprint(self.world.database_url))


def soak(
    backend: str,
    seconds: float,
    *,
    kills: int,
    seed: int,
    keep: bool = False,
    fuzz_examples: int = 0,
) -> dict[str, Any]:
    from tests.support.documents import pdf_document

    rng = random.Random(seed)
    soaked = world.create(backend, progress)
    try:
        url = soaked.database_url
        seeded_orders = int(
            checks.rows(url, "SELECT coalesce(max(id), 0) FROM product_order")[0][0]
        )
        faults = Faults(soaked, seconds, kills=kills, rng=rng)
        faults.fingerprints.append(checks.ledger_fingerprint(url))
        config = {
            "ports": soaked.ports,
            "seconds": seconds,
            "seeded": vars(soaked.seeded),
            "password": world.PASSWORD,
            "secret_key": world.SECRET_KEY,
            "psp_secret": world.PSP_SECRET,
            "pdf": pdf_document("Jaarrekening soak"),
            "year_end": date(date.today().year - 1, 12, 31).isoformat(),
            "seed": seed,
        }
        out = soaked.root / "load.json"
        load_process = multiprocessing.get_context("spawn").Process(
            target=run_load, args=(config, str(out)), name="soak-load"
        )
        progress(f"{backend}: load for {seconds:.0f} s over ports {soaked.ports}")
        load_process.start()
        stop = threading.Event()
        scheduler = threading.Thread(target=faults.run, args=(stop,), daemon=True)
        scheduler.start()
        load_process.join(timeout=seconds + 300)
        stop.set()
        scheduler.join()
        faults.join()
        if load_process.exitcode != 0 or not out.exists():
            raise RuntimeError(f"the load process failed (exit {load_process.exitcode})")
        load = orjson.loads(out.read_bytes())
        progress(f"{backend}: load done; throttling probe, then waiting for the outbox")
        throttle = checks.throttle_probe(soaked.ports, soaked.seeded.attack)
        fuzzed = _fuzz(soaked.ports, fuzz_examples, backend)
        unsent = checks.wait_for_outbox(url, timeout=180)
        found = checks.invariants(
            url,
            load,
            faults.fingerprints,
            kills=faults.kills,
            received=soaked.inbox.received(),
            unsent=unsent,
            seeded_orders=seeded_orders,
            business_kvks=world.BUSINESS_KVKS,
        )
        found.append(throttle)
        if fuzzed is not None:
            found.append(
                checks.Check(
                    "schema fuzzing (schemathesis): 0 failures",
                    fuzzed.failed == 0,
                    f"{fuzzed.requests} requests, {fuzzed.failed} failures"
                    + (f": {fuzzed.failures[0][:300]}" if fuzzed.failures else ""),
                )
            )
        found.append(
            checks.Check(
                "faults and invoice runs done",
                not faults.errors
                and (kills == 0 or {k["kind"] for k in faults.kills} == {"app", "worker"}),
                f"kills: {[(k['kind'], round(k['back'] - k['at'], 1)) for k in faults.kills]}; "
                f"invoice-run: {faults.invoice_runs}"
                + (f"; errors: {faults.errors}" if faults.errors else ""),
            )
        )
        logged = _log_problems(soaked)
        found.append(
            checks.Check(
                "no error or traceback in any process log",
                not logged,
                f"{len(logged)} lines" + (": " + "; ".join(logged[:3]) if logged else ""),
            )
        )
        return {
            "backend": backend,
            "seconds": load["ended"] - load["started"],
            "load": load,
            "checks": found,
        }
    finally:
        if keep:
            progress(f"{backend}: the logs are kept in {soaked.root}")
        soaked.close(keep=keep)


def _fuzz(ports: list[int], examples: int, backend: str) -> Any:
    """The schema fuzzer (tests/fuzz runs it briefly in `make test`), longer here: anonymous
    and as the demo accounts, against every app process in turn."""
    if examples <= 0:
        return None
    from fuzz.__main__ import DEMO
    from fuzz.runner import Caller, fuzz, sign_in_with

    callers = [Caller("anonymous")]
    callers += [Caller(name, sign_in_with(code, password)) for name, code, password in DEMO]
    progress(f"{backend}: fuzzing the schema, {examples} examples per operation and caller")
    return fuzz(f"http://127.0.0.1:{ports[0]}/graphql", callers, examples=examples)


def _log_problems(soaked: world.World) -> list[str]:
    """Lines at ERROR or above, and tracebacks, in any process's log."""
    found = []
    for process in [*soaked.apps, *soaked.workers]:
        with contextlib.suppress(OSError):
            for line in process.log_path.read_text(errors="replace").splitlines():
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    record = None
                level = record.get("level") if isinstance(record, dict) else None
                if level in {"ERROR", "CRITICAL"} or (level is None and "Traceback" in line):
                    found.append(f"{process.name}: {line[:400]}")
    return found


def table(result: dict[str, Any]) -> str:
    load = result["load"]
    seconds = result["seconds"]
    lines = [
        f"### {result['backend']}: 4 app + 2 worker processes, {seconds:.0f} s",
        "",
        "| operation | requests | req/s | p50 ms | p99 ms | answers |",
        "|---|--:|--:|--:|--:|---|",
    ]
    total = 0
    for op in sorted(load["latencies"]):
        values = load["latencies"][op]
        total += len(values)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(load["outcomes"].get(op, {}).items()))
        lines.append(
            f"| {op} | {len(values)} | {len(values) / seconds:.1f} | "
            f"{percentile(values, 50):.0f} | {percentile(values, 99):.0f} | {outcomes} |"
        )
    lines.append(f"| **all** | {total} | {total / seconds:.1f} | | | |")
    lines += ["", "| invariant | result | detail |", "|---|---|---|"]
    for check in result["checks"]:
        lines.append(f"| {check.name} | {'pass' if check.ok else '**FAIL**'} | {check.detail} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-kill", action="store_true", help="no SIGKILLs during the load")
    parser.add_argument(
        "--kills", type=int, default=1, help="apps and workers killed (each; default 1)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs (temporary folder)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="for the kill moments")
    parser.add_argument(
        "--fuzz-examples",
        type=int,
        default=15,
        help="schema fuzzing after the load: documents per operation and caller (0: none)",
    )
    args = parser.parse_args(argv)
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    results = []
    for backend in backends:
        results.append(
            soak(
                backend,
                args.seconds,
                kills=0 if args.no_kill else args.kills,
                seed=args.seed,
                keep=args.keep,
                fuzz_examples=args.fuzz_examples,
            )
        )
    print(
        f"\nToegang soak, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, machine: {machine()}, "
        f"seed {args.seed}\n"
    )
    for result in results:
        print(table(result) + "\n")
    broken = [c.name for r in results for c in r["checks"] if not c.ok]
    if broken:
        print(f"BROKEN: {', '.join(broken)}")
        sys.exit(1)
    print("every invariant holds")


if __name__ == "__main__":
    main()
