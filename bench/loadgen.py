"""Over HTTP: one uvicorn worker per side, wrk at 32 connections after a warm-up."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.env import World
from bench.scenarios import Scenario

BIN = Path(sys.executable).parent
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True, slots=True)
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers and socket errors


def wrk_path() -> str | None:
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout} s")


@contextlib.contextmanager
def server(side: str, world: World) -> Iterator[str]:
    """`toegang serve` (graphql) or uvicorn with the ceiling app; yields the base URL."""
    port = free_port()
    if side == "graphql":
        command = [str(BIN / "toegang"), "serve"]
        env = world.env(port)
    else:
        command = [
            str(BIN / "python"),
            "-m",
            "uvicorn",
            "bench.ceiling:create" if side == "ceiling" else "bench.raw:create",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        env = {**world.env(port), "BENCH_DATABASE_URL": world.database_url}
    # The access log goes where production sends it, only not to our terminal.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


KEY = "@KEY@"  # in a body: a new random idempotency key for every request


def _lua(bodies: list[bytes], cookie: str | None, etag: str | None = None) -> str:
    """POST with the headers; several bodies are sent in turn (each wrk thread from elsewhere);
    KEY in a body becomes a new random key (a UUID's shape) in each request. No body: a GET
    (the document in the URL), with If-None-Match when `etag` is given."""
    if not bodies[0]:
        lines = ['wrk.method = "GET"', 'wrk.headers["Accept"] = "application/json"']
        if etag:
            lines.append(f"wrk.headers[\"If-None-Match\"] = '{etag}'")
        return "\n".join(lines) + "\n"
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = [==[{bodies[0].decode()}]==]",
        'wrk.headers["Content-Type"] = "application/json"',
        'wrk.headers["Accept"] = "application/graphql-response+json, application/json"',
    ]
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = "{cookie}"')
    if len(bodies) > 1:
        items = ",\n".join(f"  [==[{b.decode()}]==]" for b in bodies)
        lines += [
            f"local bodies = {{\n{items}\n}}",
            "local started = 0",
            "function setup(thread) started = started + 1; thread:set('tid', started) end",
            "function init(args) counter = (tid or 0) * math.floor(#bodies / 2) end",
            "function request()",
            "  counter = counter + 1",
            "  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])",
            "end",
        ]
    elif KEY.encode() in bodies[0]:
        lines += [
            "local started = 0",
            "function setup(thread) started = started + 1; thread:set('tid', started) end",
            "function init(args) math.randomseed(os.time() * 1000 + (tid or 0)) end",
            "local function hex(n) local s = '' for _ = 1, n do "
            "s = s .. string.format('%x', math.random(0, 15)) end return s end",
            "function request()",
            "  local key = hex(8) .. '-' .. hex(4) .. '-' .. hex(4) .. '-' .. hex(4) .. '-' .. hex(12)",
            f"  local body = string.gsub(wrk.body, '{KEY}', key)",
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    return "\n".join(lines) + "\n"


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(x) for x in m.groups())
    return LoadResult(rps=rps, p50_ms=p50, p99_ms=p99, requests=total, errors=errors)


def _drain(url: str, scenario: Scenario, cookie: str | None) -> None:
    """Wait until the requests wrk left in flight are done: one more request queues behind them.

    A server does not cancel work when wrk closes its connections after the warm-up; without
    this a slow scenario (logIn) starts the measured run behind a backlog.
    """
    if scenario.method == "GET":
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
        return
    headers = {"content-type": "application/json"}
    if cookie:
        headers["cookie"] = cookie
    request = urllib.request.Request(url, data=scenario.next_body(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


def load(
    url: str,
    scenario: Scenario,
    cookie: str | None,
    *,
    bodies: list[bytes] | None = None,
    connections: int,
    threads: int,
    warmup_s: float,
    duration_s: float,
) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if bodies is None:
            bodies = [scenario.keyed_body(KEY) if scenario.fresh_body else scenario.body]
        etag = None
        if scenario.revalidate:
            with urllib.request.urlopen(url, timeout=60) as first:
                etag = first.headers["etag"]
        script.write(_lua(bodies, cookie, etag))
    try:
        base = ["wrk", f"-t{threads}", f"-c{connections}", "--timeout", "60s", "-s", script.name]
        subprocess.run([*base, f"-d{warmup_s:g}s", url], check=True, capture_output=True, text=True)
        _drain(url, scenario, cookie)
        done = subprocess.run(
            [*base, "--latency", f"-d{duration_s:g}s", url],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse_wrk(done.stdout)
