"""Issuing invoices from a process of its own (the numbering test runs four of them at once
against one PostgreSQL database): the same service call the worker's sweep makes.

Imports only what issuing needs: a fork server loads this module once and forks the
processes from it, so none of them pays for importing the app."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gql.clock import Clock
from gql.db import Database
from gql.services.invoices import top_ups
from gql.services.shared.deps import Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings


def issue_in_this_process(database_url: str, data_dir: str, payment_ids: list[int]) -> list[str]:
    """Issue the invoices of these paid top-ups all at once; returns their numbers."""
    return asyncio.run(_issue(database_url, Path(data_dir), payment_ids))


async def _issue(database_url: str, data_dir: Path, payment_ids: list[int]) -> list[str]:
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        public_url="http://127.0.0.1:8000",
        secret_key="test-secret-key-that-is-long-enough-0123456789",
    )
    deps = Deps(
        db=Database(database_url),
        hashing=PasswordHashing(HashParameters(19456, 2, 1), concurrency=1),
        clock=Clock(),
        settings=settings,
    )
    try:
        issued = await asyncio.gather(
            *(top_ups.issue_top_up_invoice(deps, payment_id=pk) for pk in payment_ids)
        )
    finally:
        await deps.db.dispose()
    return [invoice.number for invoice in issued if invoice is not None]
