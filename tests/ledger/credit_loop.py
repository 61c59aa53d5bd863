"""The process the SIGKILL test kills: it confirms top-ups in a loop through the app's own
services against a SQLite file, and prints one line per credit once it is committed.

    python -m tests.ledger.credit_loop DATABASE_URL DATA_DIR ACCOUNT_ID

Importing the app takes about a second, thirty kills would spend half a minute on it. So
this process imports once and then forks a fresh worker process for each `go` line on its
standard input (it has no thread and no event loop yet, so forking is safe); the test kills
the worker with SIGKILL, then sends `reap`. Lines on standard output:

    ready <path of the gql package>     imported; waiting for `go`
    worker <pid>                        a worker started (its lines may come before this one)
    credited <payment id>               a worker's top-up is PAID and its credit committed
    reaped <wait status>                the worker is gone; every line it wrote came before
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
import uuid
from pathlib import Path

import gql
from gql.clock import Clock
from gql.db import Database
from gql.models.payments import PaymentState
from gql.psp.port import PaymentMethod, ProviderStatus
from gql.psp.sandbox import SandboxProvider
from gql.services.payments import payments, top_ups
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from tests.support.api import make_settings

IBAN = "NL91ABNA0417164300"


def say(line: str) -> None:
    """One write per line: a line is in the pipe whole, or not at all."""
    os.write(1, (line + "\n").encode())


async def confirm_top_ups(database_url: str, data_dir: Path, account_id: int) -> None:
    """Start a top-up, pay it at the sandbox, settle it as the webhook does; again and again."""
    settings = make_settings(database_url, data_dir)
    db = Database(database_url)
    clock = Clock()
    hashing = PasswordHashing(
        HashParameters(memory_kib=8, time_cost=1, parallelism=1), concurrency=1
    )
    deps = Deps(db=db, hashing=hashing, clock=clock, settings=settings)
    sandbox = SandboxProvider(db, settings, clock)
    caller = Caller(
        client_ip="127.0.0.1", language="nl", request_id="credit-loop", account_id=account_id
    )
    for n in range(1_000_000):
        payment = await top_ups.top_up(
            deps,
            caller=caller,
            amount_cents=500 + n % 997,
            method=PaymentMethod.IDEAL,
            return_url=None,
            idempotency_key=str(uuid.uuid4()),
        )
        assert payment.payment_url is not None
        provider_id = payment.payment_url.rsplit("/", 1)[1]
        await sandbox.decide(
            provider_id, ProviderStatus.PAID, payer_iban=IBAN, payer_name="Piet Pieterse"
        )
        # What POST /psp/webhook does with the sandbox's webhook.
        settled = await payments.settle_from_provider(deps, provider_id)
        assert settled == PaymentState.PAID, settled
        say(f"credited {payment.id}")


def worker(database_url: str, data_dir: Path, account_id: int) -> None:
    try:
        asyncio.run(confirm_top_ups(database_url, data_dir, account_id))
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    os._exit(0)


def main() -> None:
    database_url, data_dir, account_id = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    say(f"ready {Path(gql.__file__).parent}")
    pid = 0
    for command in sys.stdin:
        if command.strip() == "go":
            pid = os.fork()
            if pid == 0:
                worker(database_url, data_dir, account_id)
            say(f"worker {pid}")
        elif command.strip() == "reap" and pid:
            _, status = os.waitpid(pid, 0)
            say(f"reaped {status}")
            pid = 0


if __name__ == "__main__":
    main()
