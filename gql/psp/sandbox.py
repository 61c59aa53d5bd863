"""The built-in sandbox payment provider: behaves like a real one (think Mollie), on this machine.

It keeps its own tables (gql/models/psp.py) and meets the app only where a real provider
would: the app starts payments and asks their status through the port, and the sandbox
calls the app's webhook over HTTP, signed with HMAC-SHA256 over `"{timestamp}." + body`.
The payer decides a payment on its checkout page (gql/psp/checkout.py): Pay, Cancel or Fail.

Every change of a payment's status queues one webhook in the same transaction; the worker
delivers them at least once (`deliver_webhooks`) and expires what nobody decided
(`expire_payments`). A status other than OPEN is final: every change is a conditional UPDATE
from OPEN, so a late click, a second decision or the expiry job never turns PAID back.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.clock import Clock
from gql.db import Database
from gql.keys import Purpose, keyring
from gql.models.psp import SandboxPayment, SandboxWebhook
from gql.psp.port import (
    PaymentMethod,
    PaymentStatus,
    ProviderStatus,
    StartedPayment,
    WebhookRefused,
)
from gql.services.shared.validation import has_control_characters
from gql.settings import Settings

log = logging.getLogger("toegang.psp")

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
#: A webhook signed further than this from the receiver's clock is refused (replays).
TIMESTAMP_TOLERANCE_SECONDS = 300
#: A claimed webhook is the claimer's for this long; a crashed worker's claim runs out.
LEASE = timedelta(seconds=60)
SEND_TIMEOUT_SECONDS = 10.0
#: A round claims no further webhook after this long: the worker loop sends mail too.
ROUND_SECONDS = 20.0
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 600
#: 5 s doubling to 10 min, then every 10 min: about four hours, then the sandbox gives up
#: (the app asks get_status for payments it has not heard of, so nothing is lost).
GIVE_UP_AFTER_ATTEMPTS = 30
MAX_AMOUNT_CENTS = 5_000_000  # EUR 50,000: iDEAL's own limit
MAX_DESCRIPTION = 255
MAX_URL = 2000
MAX_METADATA_BYTES = 1024
MAX_ERROR_CHARS = 500
_PROVIDER_ID = re.compile(r"tr_[A-Za-z0-9_-]{32}")
_DECISIONS = frozenset({ProviderStatus.PAID, ProviderStatus.CANCELED, ProviderStatus.FAILED})


class SandboxDeps(Protocol):
    """What the sandbox's jobs need; `Deps` and `SandboxProvider` both have it."""

    @property
    def db(self) -> Database: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class Checkout:
    """An open payment as its checkout page shows it."""

    provider_id: str
    amount_cents: int
    description: str
    method: PaymentMethod
    expires_at: datetime
    return_url: str


class SandboxProvider:
    """The PaymentProvider of gql/psp/port.py, with its own tables and checkout page."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock

    async def start_payment(
        self,
        *,
        amount_cents: int,
        description: str,
        method: PaymentMethod,
        return_url: str,
        webhook_url: str,
        metadata: dict[str, str],
    ) -> StartedPayment:
        """Store an OPEN payment that expires after TOEGANG_PSP_PAYMENT_MINUTES."""
        if isinstance(amount_cents, bool) or not 0 < amount_cents <= MAX_AMOUNT_CENTS:
            raise ValueError(f"amount_cents must be 1..{MAX_AMOUNT_CENTS}")
        description = " ".join(description.split())
        if not description or len(description) > MAX_DESCRIPTION:
            raise ValueError(f"description must be 1..{MAX_DESCRIPTION} characters")
        if has_control_characters(description):
            raise ValueError("description holds control characters")
        _check_url("return_url", return_url, web_only=False)
        _check_url("webhook_url", webhook_url, web_only=True)
        metadata_json = _metadata_json(metadata)
        now = self.clock.now()
        payment = SandboxPayment(
            # 192 random bits: the id is also the address of the checkout page.
            provider_id="tr_" + secrets.token_urlsafe(24),
            amount_cents=amount_cents,
            method=PaymentMethod(method),
            description=description,
            metadata_json=metadata_json,
            status=ProviderStatus.OPEN,
            return_url=return_url,
            webhook_url=webhook_url,
            created_at=now,
            expires_at=now + timedelta(minutes=self.settings.psp_payment_minutes),
        )
        async with self.db.write() as session:
            session.add(payment)
            await session.commit()
        return StartedPayment(
            provider_id=payment.provider_id,
            payment_url=f"{self.settings.public_url}/sandbox/checkout/{payment.provider_id}",
            status=ProviderStatus.OPEN,
            expires_at=payment.expires_at,
        )

    async def get_status(self, provider_id: str) -> PaymentStatus | None:
        """The payment now; an OPEN one past its expiry is stored (and reported) EXPIRED."""
        if not is_provider_id(provider_id):
            return None
        now = self.clock.now()
        async with self.db.read() as session:
            payment = await session.scalar(_payment(provider_id))
        if payment is None:
            return None
        if payment.status is ProviderStatus.OPEN and payment.expires_at <= now:
            async with self.db.write() as session:
                await _expire(session, now=now, provider_id=provider_id)
                payment = await session.scalar(_payment(provider_id))
                await session.commit()
            assert payment is not None
        return PaymentStatus(
            provider_id=payment.provider_id,
            status=payment.status,
            amount_cents=payment.amount_cents,
            method=payment.method,
            metadata=orjson.loads(payment.metadata_json),
            paid_at=payment.decided_at if payment.status is ProviderStatus.PAID else None,
            payer_iban=payment.payer_iban,
            payer_name=payment.payer_name,
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> str:
        """The provider_id the (verified) webhook is about; raises WebhookRefused."""
        return verify_webhook(self.settings, headers, body, now=now)

    # The checkout page's side (gql/psp/checkout.py); not part of the port.

    async def checkout(self, provider_id: str) -> Checkout | None:
        """The payment if it can still be decided: known, OPEN and not expired."""
        if not is_provider_id(provider_id):
            return None
        async with self.db.read() as session:
            payment = await session.scalar(_payment(provider_id))
        if (
            payment is None
            or payment.status is not ProviderStatus.OPEN
            or payment.expires_at <= self.clock.now()
        ):
            return None
        return Checkout(
            provider_id=payment.provider_id,
            amount_cents=payment.amount_cents,
            description=payment.description,
            method=payment.method,
            expires_at=payment.expires_at,
            return_url=payment.return_url,
        )

    async def decide(
        self,
        provider_id: str,
        decision: ProviderStatus,
        *,
        payer_iban: str | None = None,
        payer_name: str | None = None,
    ) -> str | None:
        """Record the payer's decision on an open, unexpired payment and queue its webhook.

        Returns the payment's return_url; None when it is unknown, already decided or
        expired (an expired one is then stored EXPIRED, with its webhook).
        """
        if decision not in _DECISIONS:
            raise ValueError(f"a payer decides PAID, CANCELED or FAILED, not {decision}")
        if decision is not ProviderStatus.PAID and (payer_iban or payer_name):
            raise ValueError("only a paid payment has a payer")
        if not is_provider_id(provider_id):
            return None
        now = self.clock.now()
        async with self.db.write() as session:
            decided = await session.execute(
                update(SandboxPayment)
                .where(
                    col(SandboxPayment.provider_id) == provider_id,
                    col(SandboxPayment.status) == ProviderStatus.OPEN,
                    col(SandboxPayment.expires_at) > now,
                )
                .values(
                    status=decision, decided_at=now, payer_iban=payer_iban, payer_name=payer_name
                )
                .returning(col(SandboxPayment.return_url)),
                execution_options={"synchronize_session": False},
            )
            return_url = decided.scalar_one_or_none()
            if return_url is not None:
                _queue_webhook(session, provider_id, now=now)
            else:
                await _expire(session, now=now, provider_id=provider_id)
            await session.commit()
        return return_url

    def form_token(self, provider_id: str) -> str:
        """The checkout form's token: another site that cannot read the page cannot know it."""
        return keyring(self.settings.secret_key).sign(Purpose.PSP_WEBHOOK, _form_label(provider_id))

    def form_token_valid(self, provider_id: str, token: str) -> bool:
        """Whether `token` is this payment's form token under any listed key (constant time)."""
        if not token.isascii():
            return False
        return keyring(self.settings.secret_key).verify(
            Purpose.PSP_WEBHOOK, _form_label(provider_id), token
        )


def is_provider_id(value: str) -> bool:
    return bool(_PROVIDER_ID.fullmatch(value))


def webhook_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) over `"{timestamp}." + body`, as the sandbox signs a webhook."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(settings: Settings, body: bytes, *, now: datetime) -> dict[str, str]:
    """The headers of a webhook call with `body`, signed at `now` with the current secret."""
    timestamp = str(int(now.timestamp()))
    return {
        "content-type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(webhook_secrets(settings)[0], timestamp, body),
    }


def verify_webhook(
    settings: Settings, headers: Mapping[str, str], body: bytes, *, now: datetime
) -> str:
    """The provider_id of a webhook whose signature holds and whose timestamp is recent.

    401 for a missing or wrong signature; 400 for a missing, malformed or stale timestamp
    (more than TIMESTAMP_TOLERANCE_SECONDS from `now`) or a body that is not `{"id": ...}`.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "").strip()
    signature = lowered.get(SIGNATURE_HEADER.lower(), "").strip().lower()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise WebhookRefused(400, "missing or malformed timestamp")
    given = signature.encode("utf-8", "replace")
    if not any(
        hmac.compare_digest(webhook_signature(secret, timestamp, body).encode(), given)
        for secret in webhook_secrets(settings)
    ):
        raise WebhookRefused(401, "bad signature")
    if abs(now.timestamp() - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise WebhookRefused(400, "stale timestamp")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookRefused(400, "body is not JSON") from None
    provider_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(provider_id, str) or not provider_id:
        raise WebhookRefused(400, 'body is not {"id": "<provider_id>"}')
    return provider_id


def webhook_secrets(settings: Settings) -> tuple[bytes, ...]:
    """The webhook secrets, the first signing: TOEGANG_PSP_WEBHOOK_SECRET when set (a real
    provider has its own), else one derived from each key of TOEGANG_SECRET_KEY."""
    return _webhook_secrets(settings.psp_webhook_secret, settings.secret_key)


@lru_cache(maxsize=8)
def _webhook_secrets(configured: str, secret_key: str) -> tuple[bytes, ...]:
    if configured:
        return (configured.encode(),)
    return tuple(
        keyring(text).sign(Purpose.PSP_WEBHOOK, "webhook secret").encode()
        for text in keyring(secret_key).texts
    )


async def expire_payments(deps: SandboxDeps) -> int:
    """Mark OPEN payments past their expiry EXPIRED and queue their webhooks (a worker job)."""
    now = deps.clock.now()
    async with deps.db.read() as session:
        due = await session.scalar(
            select(col(SandboxPayment.id))
            .where(
                col(SandboxPayment.status) == ProviderStatus.OPEN,
                col(SandboxPayment.expires_at) <= now,
            )
            .limit(1)
        )
    if due is None:
        return 0  # the usual round: no write transaction
    async with deps.db.write() as session:
        expired = await _expire(session, now=now)
        await session.commit()
    if expired:
        log.info("sandbox: %s payments expired", len(expired))
    return len(expired)


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    provider_id: str
    webhook_url: str
    attempts: int
    lease_until: datetime


async def deliver_webhooks(deps: SandboxDeps, http: httpx.AsyncClient, *, limit: int = 20) -> int:
    """POST due webhooks, one at a time, signed with the current time; returns how many were
    delivered (answered 2xx). Each is claimed for LEASE first, so two workers never send the
    same one at once; a failure is tried again after 5 s, doubling up to 10 minutes. A round
    takes at most `limit` webhooks and claims none after ROUND_SECONDS.

    `http` is the caller's: the worker's real client, or one on an in-process app in tests.
    """
    if not await webhooks_due(deps):
        return 0  # the usual round: no write transaction
    delivered = 0
    # Wall time, not the clock: a test's frozen clock must not make a round endless.
    give_up_at = time.monotonic() + ROUND_SECONDS
    for _ in range(limit):
        if time.monotonic() > give_up_at:
            break
        claimed = await _claim_one(deps)
        if claimed is None:
            break
        if await _deliver(deps, http, claimed):
            delivered += 1
    return delivered


def retry_delay(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts: 5 s, doubling, at most 10 minutes."""
    exponent = min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2**exponent, MAX_RETRY_SECONDS))


async def webhooks_due(deps: SandboxDeps) -> bool:
    """Whether a webhook is due now (one read, no write transaction)."""
    async with deps.db.read() as session:
        found = await session.scalar(
            select(col(SandboxWebhook.id))
            .where(col(SandboxWebhook.next_attempt_at) <= deps.clock.now())
            .limit(1)
        )
    return found is not None


async def _claim_one(deps: SandboxDeps) -> _Claimed | None:
    now = deps.clock.now()
    due = (
        select(
            col(SandboxWebhook.id),
            col(SandboxWebhook.provider_id),
            col(SandboxWebhook.attempts),
            col(SandboxPayment.webhook_url),
        )
        .join(SandboxPayment, col(SandboxPayment.provider_id) == col(SandboxWebhook.provider_id))
        .where(col(SandboxWebhook.next_attempt_at) <= now)
        .order_by(col(SandboxWebhook.next_attempt_at), col(SandboxWebhook.id))
        .limit(1)
    )
    if not deps.db.is_sqlite:
        # SQLite's BEGIN IMMEDIATE already serialises claims; PostgreSQL needs the row lock,
        # and SKIP LOCKED lets another worker take the next webhook instead of waiting.
        due = due.with_for_update(skip_locked=True, of=SandboxWebhook)
    lease_until = now + LEASE
    async with deps.db.write() as session:
        row = (await session.execute(due)).first()
        if row is None:
            return None
        await _execute(
            session,
            update(SandboxWebhook)
            .where(col(SandboxWebhook.id) == row.id)
            .values(next_attempt_at=lease_until),
        )
        await session.commit()
    return _Claimed(row.id, row.provider_id, row.webhook_url, row.attempts, lease_until)


async def _deliver(deps: SandboxDeps, http: httpx.AsyncClient, claimed: _Claimed) -> bool:
    body = orjson.dumps({"id": claimed.provider_id})
    headers = signed_headers(deps.settings, body, now=deps.clock.now())
    error: str | None = None
    try:
        # httpx's timeout is per phase (connect, each read); this bounds the whole call.
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            response = await http.post(
                claimed.webhook_url, content=body, headers=headers, timeout=SEND_TIMEOUT_SECONDS
            )
        if not response.is_success:
            error = f"HTTP {response.status_code}"
    except Exception as exc:
        error = " ".join(f"{type(exc).__name__}: {exc}".split())[:MAX_ERROR_CHARS]
    now = deps.clock.now()
    attempts = claimed.attempts + 1
    async with deps.db.write() as session:
        if error is None:
            await _execute(
                session,
                update(SandboxWebhook)
                .where(
                    col(SandboxWebhook.id) == claimed.id,
                    col(SandboxWebhook.delivered_at).is_(None),
                )
                .values(delivered_at=now, next_attempt_at=None, attempts=attempts, last_error=None),
            )
        else:
            give_up = attempts >= GIVE_UP_AFTER_ATTEMPTS
            await _execute(
                session,
                update(SandboxWebhook)
                .where(
                    col(SandboxWebhook.id) == claimed.id,
                    col(SandboxWebhook.delivered_at).is_(None),
                    # Still ours: after a lost lease, the worker that took over records.
                    col(SandboxWebhook.next_attempt_at) == claimed.lease_until,
                )
                .values(
                    attempts=attempts,
                    last_error=error,
                    next_attempt_at=None if give_up else now + retry_delay(attempts),
                ),
            )
        await session.commit()
    if error is None:
        log.info("sandbox webhook %s delivered (attempt %s)", claimed.id, attempts)
    else:
        log.warning("sandbox webhook %s failed (attempt %s): %s", claimed.id, attempts, error)
    return error is None


async def _expire(
    session: AsyncSession, *, now: datetime, provider_id: str | None = None
) -> list[str]:
    """Mark OPEN payments past their expiry EXPIRED, each with its webhook; their ids."""
    statement = update(SandboxPayment).where(
        col(SandboxPayment.status) == ProviderStatus.OPEN,
        col(SandboxPayment.expires_at) <= now,
    )
    if provider_id is not None:
        statement = statement.where(col(SandboxPayment.provider_id) == provider_id)
    result = await session.execute(
        statement.values(status=ProviderStatus.EXPIRED, decided_at=now).returning(
            col(SandboxPayment.provider_id)
        ),
        execution_options={"synchronize_session": False},
    )
    expired = list(result.scalars())
    for expired_id in expired:
        _queue_webhook(session, expired_id, now=now)
    return expired


def _queue_webhook(session: AsyncSession, provider_id: str, *, now: datetime) -> None:
    session.add(SandboxWebhook(provider_id=provider_id, created_at=now, next_attempt_at=now))


def _payment(provider_id: str) -> Any:
    return select(SandboxPayment).where(col(SandboxPayment.provider_id) == provider_id)


def _form_label(provider_id: str) -> str:
    # Another label under the same purpose than the webhook secret's: never the same HMAC.
    return f"checkout form {provider_id}"


def _check_url(name: str, url: str, *, web_only: bool) -> None:
    """An absolute URL without spaces or control characters; http(s) with a host when
    `web_only`, otherwise also an app link (`nl.example.app:/return`)."""
    if not url or len(url) > MAX_URL or not url.isascii() or any(c.isspace() for c in url):
        raise ValueError(f"{name} must be an absolute URL of at most {MAX_URL} characters")
    if has_control_characters(url):
        raise ValueError(f"{name} holds control characters")
    parts = urlsplit(url)
    web = parts.scheme in {"http", "https"}
    if not parts.scheme or (web and not parts.netloc) or (web_only and not web):
        raise ValueError(f"{name} must be an absolute {'http(s) ' if web_only else ''}URL")


def _metadata_json(metadata: Mapping[str, str]) -> str:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata maps strings to strings")
    text = orjson.dumps(dict(metadata), option=orjson.OPT_SORT_KEYS).decode()
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes as JSON")
    return text


async def _execute(session: AsyncSession, statement: Any) -> int:
    """Run an UPDATE without touching loaded objects; returns the rows it hit."""
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount
