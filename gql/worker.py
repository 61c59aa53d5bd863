"""The worker loop's jobs besides sending mail: recovery requests, the retention job, and
the sandbox payment provider's expiry and webhook calls.

`toegang serve` runs them inside the app (TOEGANG_RUN_DISPATCHER=1), `toegang worker` on
its own; both take this one list.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import anyio.to_thread
import httpx

from gql.files import store
from gql.mail.sender import LETTER
from gql.psp import sandbox
from gql.services.accounts import recovery
from gql.services.accounts import retention as account_retention
from gql.services.filings import deadlines
from gql.services.invoices import monthly, reminders, top_ups  # top_ups: the settlement
from gql.services.orders import anonymous, delivery  # noqa: F401  (anonymous: settlement)
from gql.services.payments import payments
from gql.services.shared import idempotency, outbox
from gql.services.shared.deps import Deps

log = logging.getLogger("toegang.retention")
RETENTION_EVERY = timedelta(hours=1)


def worker_jobs(deps: Deps) -> list[Callable[[], Awaitable[object]]]:
    jobs: list[Callable[[], Awaitable[object]]] = [
        lambda: recovery.process_recovery_requests(deps),
        Hourly(deps, "retention", run_retention),
        Hourly(deps, "filing reminders", deadlines.send_due_reminders),
        lambda: payments.reconcile_open_payments(deps, now=deps.clock.now()),
        lambda: delivery.deliver_pending(deps),
        Hourly(deps, "missing top-up invoices", top_ups.issue_missing_top_up_invoices),
        monthly.MonthlyInvoicing(deps),
        # Checked hourly; each reminder and formal notice goes once, on the day it is due.
        Hourly(deps, "payment reminders", reminders.send_due_reminders),
    ]
    if deps.settings.psp == "sandbox":
        jobs += [lambda: sandbox.expire_payments(deps), SandboxWebhooks(deps)]
    return jobs


class SandboxWebhooks:
    """The sandbox provider's webhook calls, over real HTTP (with verified TLS)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # Made once: loading the CA bundle is the costly part of a client.
        self.tls = ssl.create_default_context()

    async def __call__(self) -> int:
        if not await sandbox.webhooks_due(self.deps):
            return 0
        # A client per round with work: no connection outlives it.
        async with httpx.AsyncClient(verify=self.tls, follow_redirects=False) as http:
            return await sandbox.deliver_webhooks(self.deps, http)


class Hourly:
    """A job that runs at most once an hour in this worker (each job is safe to run in
    several workers at once: what it sends or removes is claimed in the database)."""

    def __init__(self, deps: Deps, name: str, job: Callable[..., Awaitable[object]]) -> None:
        self.deps, self.name, self.job = deps, name, job
        self.last_run: datetime | None = None

    async def __call__(self) -> object:
        now = self.deps.clock.now()
        if self.last_run is not None and now - self.last_run < RETENTION_EVERY:
            return None
        self.last_run = now
        return await self.job(self.deps, now=now)


async def run_retention(deps: Deps, *, now: datetime) -> dict[str, int]:
    """Remove personal data whose period is over (the periods are settings; README,
    "Operating it safely"). Never touched: invoices, the ledger, orders, filings and the
    audit trail (fiscal retention of 7 years, art. 52 AWR)."""
    done = await account_retention.apply_retention(deps, now=now)
    done["sent mail removed"] = await outbox.remove_sent(deps, now=now)
    done["idempotency keys removed"] = await idempotency.remove_expired(deps, now=now)
    letters_before = now - timedelta(days=deps.settings.retention_letter_days)
    async with deps.db.write() as session:
        done["stored letters removed"] = await store.remove_older(
            session, owner_kind=LETTER, before=letters_before
        )
        await session.commit()
    done["letters removed"] = await anyio.to_thread.run_sync(
        _remove_old_letters,
        deps.settings.data_dir / "letters",
        now - timedelta(days=deps.settings.retention_letter_days),
    )
    if any(done.values()):
        log.info("retention: %s", ", ".join(f"{k}: {v}" for k, v in done.items() if v))
    return done


def _remove_old_letters(folder: Path, before: datetime) -> int:
    """Letters written by the development post channel (they hold access codes)."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.glob("*.pdf"):
        if path.stat().st_mtime < before.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
