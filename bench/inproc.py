"""In process: both ASGI apps called directly, interleaved in short blocks, CPU time per request.

`time.process_time_ns` counts every thread of the process, so aiosqlite's connection threads
and argon2's worker threads are included. Variants run in short blocks, in a new random order
every round, so a noisy neighbour on a shared machine hits all of them alike; the figure is the
median over rounds of (CPU time of a block / requests in it).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.scenarios import Scenario

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
VARYING = frozenset({"token", "expiresAt", "sessionExpiresAt"})


class Client:
    """The smallest ASGI caller: one POST, the response status and body."""

    def __init__(self, app: Asgi) -> None:
        self.app = app

    async def post(self, path: str, body: bytes, cookie: str | None) -> tuple[int, bytes]:
        status, _, answer = await self.request("POST", path, body, cookie)
        return status, answer

    async def request(
        self,
        method: str,
        path: str,
        body: bytes,
        cookie: str | None,
        query_string: str = "",
        extra: tuple[tuple[bytes, bytes], ...] = (),
    ) -> tuple[int, dict[bytes, bytes], bytes]:
        """One request: status, response headers (lower-case names) and body."""
        headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"accept", b"application/graphql-response+json, application/json"),
            *extra,
        ]
        if method == "POST":
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode()))
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query_string.encode(),
            "headers": headers,
            "state": {},
        }
        pending = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0
        answer_headers: dict[bytes, bytes] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return pending.pop() if pending else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers.update((k.lower(), v) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, answer_headers, b"".join(chunks)

    def get_caller(self, scenario: Scenario) -> Callable[[], Awaitable[tuple[int, bytes]]]:
        """A GET of the scenario's query string; with `revalidate`, If-None-Match carries the
        ETag of a first answer (fetched on the first call)."""
        extra: list[tuple[tuple[bytes, bytes], ...]] = []

        async def call() -> tuple[int, bytes]:
            if scenario.revalidate and not extra:
                _, first, _ = await self.request(
                    "GET", "/graphql", b"", None, scenario.query_string
                )
                extra.append(((b"if-none-match", first[b"etag"]),))
            status, _, body = await self.request(
                "GET", "/graphql", b"", None, scenario.query_string, extra[0] if extra else ()
            )
            return status, body

        return call


@dataclass
class Variant:
    scenario: Scenario
    side: str  # "graphql", "ceiling" (the engine), "raw" (the driver) or "bare" (strawberry)
    call: Callable[[], Awaitable[tuple[int, bytes]]]
    cpu_us: list[float] = field(default_factory=list)
    wall_us: list[float] = field(default_factory=list)


def _normalized(body: bytes, varying: frozenset[str] = frozenset()) -> Any:
    varies = VARYING | varying

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "<varies>" if k in varies else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(orjson.loads(body))


async def check_same_answers(groups: list[list[Variant]]) -> list[str]:
    """Every side of a scenario must answer 200 with the same JSON as the GraphQL app."""
    problems = []
    for app_side, *others in groups:
        a_status, a_body = await app_side.call()
        for other in others:
            o_status, o_body = await other.call()
            varying = app_side.scenario.varying
            if (
                a_status != 200
                or o_status != 200
                or _normalized(a_body, varying) != _normalized(o_body, varying)
            ):
                problems.append(
                    f"{app_side.scenario.key}: graphql {a_status} {a_body[:300]!r} "
                    f"!= {other.side} {o_status} {o_body[:300]!r}"
                )
    return problems


async def run_block(variant: Variant, size: int) -> None:
    call = variant.call
    wall0 = time.perf_counter_ns()
    cpu0 = time.process_time_ns()
    for _ in range(size):
        status, body = await call()
        if status != variant.scenario.status or b'"errors"' in body:
            raise RuntimeError(f"{variant.scenario.key}/{variant.side}: {status} {body[:300]!r}")
    cpu1 = time.process_time_ns()
    wall1 = time.perf_counter_ns()
    variant.cpu_us.append((cpu1 - cpu0) / size / 1000)
    variant.wall_us.append((wall1 - wall0) / size / 1000)


async def measure(
    variants: list[Variant],
    *,
    rounds: int,
    block: Callable[[Variant], int],
    progress: Callable[[str], None],
    seed: int = 1,
) -> None:
    """Warm every variant up, then `rounds` rounds of one block each, in shuffled order."""
    rng = random.Random(seed)
    for variant in variants:
        await run_block(variant, max(1, block(variant) // 2))
        variant.cpu_us.clear()
        variant.wall_us.clear()
    started = time.monotonic()
    for r in range(rounds):
        order = variants[:]
        rng.shuffle(order)
        for variant in order:
            await run_block(variant, block(variant))
            await asyncio.sleep(0)
        if (r + 1) % max(1, rounds // 5) == 0 or r + 1 == rounds:
            progress(f"round {r + 1}/{rounds} ({time.monotonic() - started:.0f} s)")


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else [ordered[0]] * 3
    return {
        "median": statistics.median(ordered),
        "q1": q[0],
        "q3": q[2],
        "min": ordered[0],
        "n_blocks": len(ordered),
    }
