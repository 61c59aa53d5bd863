"""The invariants, read from the database after the load (and the ledger's fingerprint taken
during it), and the cross-process sign-in throttling probe."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gql.services.shared.throttle import SIGN_IN_FREE_FAILURES


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


async def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


def rows(url: str, sql: str, **params: Any) -> list[Any]:
    return asyncio.run(_rows(url, sql, **params))


def ledger_fingerprint(url: str) -> dict[int, str]:
    """Every ledger row's digest by id: a row changed later has another digest."""
    return {
        int(row[0]): hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
        for row in rows(url, "SELECT * FROM ledger_entry ORDER BY id")
    }


def wait_for_outbox(url: str, timeout: float) -> int:
    """Wait until every queued message is sent; the number still unsent."""
    deadline = time.monotonic() + timeout
    while True:
        left = int(rows(url, "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL")[0][0])
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(1)


def throttle_probe(ports: list[int], codes: tuple[str, str], attempts: int = 8) -> Check:
    """Wrong passwords for one code through all processes in turn, and at the same moments
    for another code through one process: the same answers in the same order (the counts
    live in the database), the first SIGN_IN_FREE_FAILURES wrong, then limited."""
    return asyncio.run(_throttle_probe(ports, codes, attempts))


async def _throttle_probe(ports: list[int], codes: tuple[str, str], attempts: int) -> Check:
    query = "mutation($i: LogInInput!) { logIn(input: $i) { __typename } }"

    async def attempt(http: httpx.AsyncClient, code: str, port: int) -> str:
        body = (
            await http.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": query,
                    "variables": {
                        "i": {
                            "accessCode": code,
                            "password": "geraden",
                            "session": "TOKEN",
                            "deviceName": "soak",
                        }
                    },
                },
            )
        ).json()
        errors = body.get("errors") or []
        if errors:
            return str(errors[0].get("extensions", {}).get("code"))
        return str(body["data"]["logIn"]["__typename"])

    spread: list[str] = []
    single: list[str] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(attempts):
            # In step: both codes see the same moments, so the delays treat them alike.
            one, other = await asyncio.gather(
                attempt(http, codes[0], ports[n % len(ports)]), attempt(http, codes[1], ports[0])
            )
            spread.append(one)
            single.append(other)
    free = ["InvalidCredentials"] * SIGN_IN_FREE_FAILURES
    ok = (
        spread == single
        and spread[:SIGN_IN_FREE_FAILURES] == free
        and spread[SIGN_IN_FREE_FAILURES] == "RATE_LIMITED"
    )
    short = {"InvalidCredentials": "W", "RATE_LIMITED": "L"}
    detail = (
        f"through {len(ports)}: {''.join(short.get(s, '?') for s in spread)}, "
        f"through 1: {''.join(short.get(s, '?') for s in single)} (W wrong, L limited)"
    )
    return Check("sign-in throttling counted across processes", ok, detail)


def invariants(
    url: str,
    load: dict[str, Any],
    fingerprints: list[dict[int, str]],
    *,
    kills: list[dict[str, Any]],
    received: list[str],
    unsent: int,
    seeded_orders: int,
    business_kvks: tuple[str, ...],
) -> list[Check]:
    checks: list[Check] = []

    # Balances: the row equals the entries' sums, never negative, held within it.
    bad = rows(
        url,
        """
        SELECT b.account_id, b.balance_cents, b.held_cents,
               coalesce(sum(e.amount_cents), 0), coalesce(sum(e.held_delta_cents), 0)
        FROM balance b LEFT JOIN ledger_entry e ON e.account_id = b.account_id
        GROUP BY b.account_id, b.balance_cents, b.held_cents
        """,
    )
    wrong = [r for r in bad if not (r[1] == r[3] >= 0 and r[2] == r[4] and 0 <= r[2] <= r[1])]
    checks.append(
        Check(
            "balance = Σ entries ≥ 0, 0 ≤ held ≤ balance",
            not wrong,
            f"{len(bad)} accounts" + (f"; wrong: {wrong[:3]}" if wrong else ""),
        )
    )

    # The ledger is append-only: every row seen during the run is there, unchanged.
    now = ledger_fingerprint(url)
    changed = sum(
        1 for seen in fingerprints for pk, digest in seen.items() if now.get(pk) != digest
    )
    checks.append(
        Check(
            "no ledger row changed",
            changed == 0,
            f"{len(now)} rows, {len(fingerprints)} snapshots compared; {changed} changed",
        )
    )

    # Every acknowledged answer is in the database.
    orders = load["orders"]
    found = {int(r[0]): r[1] for r in rows(url, "SELECT id, reference FROM product_order")}
    missing_orders = [o for o in orders if found.get(o["id"]) != o["reference"]]
    payments = load["payments"]
    paid_rows = {
        int(r[0]): (r[1], int(r[2]))
        for r in rows(
            url,
            """
            SELECT p.id, p.status, count(e.id) FROM payment p
            LEFT JOIN ledger_entry e ON e.payment_id = p.id AND e.kind = 'TOP_UP'
            GROUP BY p.id, p.status
            """,
        )
    }
    missing_payments = [p for p in payments if p["id"] not in paid_rows]
    refunds = {int(r[0]): r[1] for r in rows(url, "SELECT id, status FROM refund_request")}
    missing_refunds = [r for r in load["refunds"] if r not in refunds]
    wrong_decisions = [d for d in load["decisions"] if refunds.get(d["id"]) != d["decision"]]
    versions = {
        (int(r[0]), int(r[1]))
        for r in rows(url, "SELECT report_id, version FROM annual_report_version")
    }
    missing_filings = [f for f in load["filings"] if (f["report"], f["version"]) not in versions]
    problems = (
        len(missing_orders)
        + len(missing_payments)
        + len(missing_refunds)
        + len(wrong_decisions)
        + len(missing_filings)
    )
    checks.append(
        Check(
            "every acknowledged answer present",
            problems == 0,
            f"{len({o['id'] for o in orders})} orders, {len(payments)} top-ups, "
            f"{len(load['refunds'])} refunds ({len(load['decisions'])} decided), "
            f"{len(load['filings'])} filings; missing or wrong: {problems}",
        )
    )

    twice_decided = load["decided_twice"]
    approvals = rows(
        url,
        "SELECT refund_id FROM ledger_entry WHERE refund_id IS NOT NULL AND kind = 'REFUND_PAYOUT' "
        "GROUP BY refund_id HAVING count(*) > 1",
    )
    checks.append(
        Check(
            "a refund decided once (also when decided twice at once)",
            not twice_decided and not approvals,
            f"both of two decisions accepted: {len(twice_decided)}; paid out twice: {len(approvals)}",
        )
    )

    # Top-ups: a paid one credited exactly once, whatever the webhooks did.
    paid = [p for p in payments if p["paid"]]
    not_once = [p for p in paid if paid_rows.get(p["id"], ("", 0)) != ("PAID", 1)]
    twice = rows(
        url,
        "SELECT payment_id FROM ledger_entry WHERE kind = 'TOP_UP' AND payment_id IS NOT NULL "
        "GROUP BY payment_id HAVING count(*) > 1",
    )
    checks.append(
        Check(
            "every paid top-up credited exactly once",
            not not_once and not twice,
            f"{len(paid)} paid at the checkout; not PAID with one entry: {len(not_once)}"
            + (f" {not_once[:3]}" if not_once else "")
            + f"; credited twice: {len(twice)}",
        )
    )

    # One order per idempotency key.
    per_key = Counter(
        r[0]
        for r in rows(
            url,
            "SELECT result_ref FROM idempotency_record WHERE result_ref LIKE 'order:%'",
        )
    )
    shared = [ref for ref, n in per_key.items() if n > 1]
    without_key = rows(
        url,
        """
        SELECT o.id FROM product_order o
        WHERE o.account_id IS NOT NULL AND o.id > :seeded
          AND NOT EXISTS (SELECT 1 FROM idempotency_record r
                          WHERE r.result_ref = 'order:' || CAST(o.id AS VARCHAR))
        """,
        seeded=seeded_orders,
    )
    conflicts = load["key_conflicts"]
    by_key = Counter(o["key"] for o in {(o["key"], o["id"]): o for o in orders}.values())
    checks.append(
        Check(
            "one order per idempotency key",
            not shared
            and not without_key
            and not conflicts
            and max(by_key.values(), default=1) == 1,
            f"{len(by_key)} keys acknowledged (each sent twice); "
            f"keys with two orders: {len(conflicts)}, orders without key: {len(without_key)}",
        )
    )

    # Invoice numbers: 1..n per year, no gaps, no doubles.
    numbers = [r[0] for r in rows(url, "SELECT number FROM invoice")]
    gaps = []
    years: dict[str, list[int]] = {}
    for number in numbers:
        year, serial = number.split("-")
        years.setdefault(year, []).append(int(serial))
    for year, serials in years.items():
        if sorted(serials) != list(range(1, len(serials) + 1)):
            gaps.append(year)
    checks.append(
        Check(
            "invoice numbers gapless",
            not gaps,
            f"{len(numbers)} invoices; " + ", ".join(f"{y}: 1..{len(s)}" for y, s in years.items()),
        )
    )
    open_dd = rows(
        url,
        "SELECT count(*) FROM product_order WHERE to_be_invoiced AND invoice_id IS NULL "
        "AND id <= :seeded AND payer_kvk_number IN ("
        + ", ".join(f"'{k}'" for k in business_kvks)
        + ")",
        seeded=seeded_orders,
    )[0][0]
    checks.append(
        Check(
            "direct-debit orders of the two months before invoiced",
            int(open_dd) == 0,
            f"{int(open_dd)} left uninvoiced",
        )
    )

    # Mail: every queued one sent, received under its Message-ID; a resend keeps the id.
    queued = {r[0]: r[1] for r in rows(url, "SELECT message_id, channel FROM outbox_message")}
    emails = {m for m, channel in queued.items() if channel == "EMAIL"}
    got = Counter(received)
    strangers = [m for m in got if m not in emails]
    never = [m for m in emails if m not in got]
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    worker_kills = sum(1 for k in kills if k["kind"] == "worker")
    # A worker killed between the server's 250 and marking the message sent: its lease
    # runs out and another sends it again, with the same Message-ID.
    ok = unsent == 0 and not strangers and not never and (duplicates == 0 or worker_kills > 0)
    checks.append(
        Check(
            "every mail sent once, or resent with its Message-ID",
            ok,
            f"{len(emails)} e-mails queued, {len(received)} received; unsent {unsent}, "
            f"never received {len(never)}, unknown ids {len(strangers)}, "
            f"resent {duplicates} (after {worker_kills} worker kills)",
        )
    )

    # Server errors: none, besides connections lost with a killed process.
    def in_kill(lost: dict[str, Any]) -> bool:
        return any(
            k["kind"] == "app"
            and k["port"] == lost["port"]
            and k["at"] - 1 <= lost["at"] <= k["back"] + 2
            for k in kills
        )

    unexplained = [lost for lost in load["lost"] if not in_kill(lost)]
    server_errors = load["server_errors"]
    checks.append(
        Check(
            "0 server errors (besides killed connections)",
            not server_errors and not unexplained,
            f"{len(server_errors)} server errors, {len(load['lost'])} connections lost "
            f"({len(unexplained)} outside a kill), {load['failovers']} refused while down"
            + (f"; first: {server_errors[0]}" if server_errors else "")
            + (f"; lost: {unexplained[:2]}" if unexplained else ""),
        )
    )
    return checks


def utc_now() -> datetime:
    return datetime.now(UTC)
