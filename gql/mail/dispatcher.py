"""The outbox dispatcher: claims due messages under a lease, sends them, records the outcome.

Delivery is at least once. A message is claimed for LEASE in one short transaction, sent
outside any transaction, and marked sent only while the lease is still ours; a crash in
between lets the lease run out and the message goes again with the same Message-ID.
Several dispatchers (processes, hosts, or tasks in one process) can run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.clock import Clock
from gql.db import Database
from gql.keys import InvalidToken, Purpose, keyring
from gql.mail.sender import Sender
from gql.models.outbox import OutboxMessage
from gql.models.throttle import ThrottleHit
from gql.settings import Settings

logger = logging.getLogger("toegang.mail")

LEASE = timedelta(seconds=60)
# Longer than aiosmtplib's per-command timeout and well inside the lease.
SEND_TIMEOUT = timedelta(seconds=30)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
HOUSEKEEPING_EVERY = timedelta(minutes=10)
THROTTLE_RETENTION = timedelta(hours=24)
MAX_ERROR_CHARS = 500
_ADDRESS = re.compile(r"[^\s<>@\"',;:]+@[^\s<>@\"',;:]+")


def retry_delay(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: 30 s, doubling, at most 1 h."""
    exponent = min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2**exponent, MAX_RETRY_SECONDS))


class Dispatcher:
    """Delivers due outbox messages through the sender of their channel."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        senders: Mapping[str, Sender],
        owner_id: str | None = None,
        jobs: Sequence[Callable[[], Awaitable[object]]] = (),
    ) -> None:
        self.db = db
        # Work that queues mail (recovery requests), run before each round of sending.
        self.jobs = tuple(jobs)
        self.settings = settings
        self.clock = clock
        self.senders = senders
        # Unique per dispatcher, also for two in one process, and fits lease_owner (64).
        self.owner_id = (owner_id or _default_owner_id())[:64]
        self._last_housekeeping: datetime | None = None

    async def run_once(self, limit: int = 20) -> int:
        """Claim up to `limit` due messages and try each once; returns how many were sent."""
        sent = 0
        claimed = await self._claim(limit=limit)
        for index, message in enumerate(claimed):
            if not self._lease_outlasts_a_send(message):
                # Slow sends ate the lease: hand the rest back rather than risk a double send.
                await self._release(claimed[index:])
                break
            if await self._deliver(message):
                sent += 1
        return sent

    async def run_forever(self, stop: asyncio.Event, *, limit: int = 20) -> None:
        """Deliver until `stop` is set, polling every outbox_poll_seconds; never crashes."""
        logger.info("outbox dispatcher %s started", self.owner_id)
        while not stop.is_set():
            sent = 0
            try:
                await self._housekeeping_when_due()
                for job in self.jobs:
                    await job()
                sent = await self.run_once(limit=limit)
            except Exception:
                logger.exception("outbox dispatcher round failed; trying again")
            if sent >= limit:
                continue  # A full batch: more may be waiting.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.outbox_poll_seconds)
        logger.info("outbox dispatcher %s stopped", self.owner_id)

    async def _claim(self, *, limit: int) -> Sequence[OutboxMessage]:
        now = self.clock.now()
        due = (
            select(col(OutboxMessage.id))
            .where(
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
                or_(
                    col(OutboxMessage.lease_until).is_(None),
                    col(OutboxMessage.lease_until) < now,
                ),
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        if not self.db.is_sqlite:
            # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs row locks,
            # and SKIP LOCKED lets other dispatchers take the next rows instead of waiting.
            due = due.with_for_update(skip_locked=True)
        async with self.db.write() as session:
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            await _execute(
                session,
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .values(lease_owner=self.owner_id, lease_until=now + LEASE),
            )
            rows = await session.execute(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .order_by(col(OutboxMessage.id))
            )
            claimed = list(rows.scalars())
            await session.commit()
            return claimed

    def _lease_outlasts_a_send(self, message: OutboxMessage) -> bool:
        lease_until = message.lease_until
        return lease_until is not None and self.clock.now() + SEND_TIMEOUT < lease_until

    async def _deliver(self, message: OutboxMessage) -> bool:
        sender = self.senders.get(message.channel)
        try:
            if sender is None:
                raise LookupError(f"no sender for channel {message.channel}")
            # Opened only now, on a detached row: the database keeps the sealed text.
            try:
                message.body = keyring(self.settings.secret_key).unseal(
                    Purpose.MAIL_BODY, message.body
                )
            except InvalidToken:
                raise ValueError(
                    "the body cannot be opened: no key of TOEGANG_SECRET_KEY sealed it"
                ) from None
            async with asyncio.timeout(SEND_TIMEOUT.total_seconds()):
                await sender.send(message)
        except Exception as exc:
            await self._record_failure(message, error=self._describe(exc))
            return False
        await self._mark_sent(message)
        return True

    async def _mark_sent(self, message: OutboxMessage) -> None:
        async with self.db.write() as session:
            marked = await _execute(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message.id,
                    col(OutboxMessage.lease_owner) == self.owner_id,
                    col(OutboxMessage.sent_at).is_(None),
                )
                # Sent: the body (codes, single-use links) is no longer kept at all.
                .values(sent_at=self.clock.now(), lease_owner=None, lease_until=None, body=""),
            )
            await session.commit()
        if marked:
            logger.info("outbox message %s sent by %s", message.id, message.channel)
        else:
            # Another dispatcher took over after our lease ran out; it will send it too.
            logger.warning("outbox message %s sent, but its lease was lost", message.id)

    async def _record_failure(self, message: OutboxMessage, *, error: str) -> None:
        attempts = message.attempts + 1
        next_attempt_at = self.clock.now() + retry_delay(attempts)
        async with self.db.write() as session:
            await _execute(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message.id,
                    col(OutboxMessage.lease_owner) == self.owner_id,
                )
                .values(
                    attempts=col(OutboxMessage.attempts) + 1,
                    last_error=error,
                    next_attempt_at=next_attempt_at,
                    lease_owner=None,
                    lease_until=None,
                ),
            )
            await session.commit()
        logger.warning(
            "outbox message %s failed (attempt %s), next try at %s: %s",
            message.id,
            attempts,
            next_attempt_at.isoformat(),
            error,
        )

    async def _release(self, messages: Sequence[OutboxMessage]) -> None:
        async with self.db.write() as session:
            await _execute(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id).in_([m.id for m in messages]),
                    col(OutboxMessage.lease_owner) == self.owner_id,
                )
                .values(lease_owner=None, lease_until=None),
            )
            await session.commit()

    async def _housekeeping_when_due(self) -> None:
        now = self.clock.now()
        if self._last_housekeeping and now - self._last_housekeeping < HOUSEKEEPING_EVERY:
            return
        self._last_housekeeping = now
        async with self.db.write() as session:
            removed = await _execute(
                session, delete(ThrottleHit).where(col(ThrottleHit.at) < now - THROTTLE_RETENTION)
            )
            await session.commit()
        if removed:
            logger.info("removed %s throttle hits older than 24 h", removed)

    def _describe(self, exc: BaseException) -> str:
        """The error for last_error and the log: one line, bounded, without the SMTP password."""
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        if self.settings.smtp_password:
            text = text.replace(self.settings.smtp_password, "***")
        # A server's refusal may quote the recipient: no addresses in the log.
        text = _ADDRESS.sub("<address>", text)
        return text[:MAX_ERROR_CHARS]


async def _execute(session: AsyncSession, statement: Any) -> int:
    """Run an UPDATE or DELETE without touching loaded objects; returns the rows it hit."""
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


def _default_owner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
