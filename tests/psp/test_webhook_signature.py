"""verify_webhook: what the app's webhook accepts from the provider, and what it refuses."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gql.clock import FrozenClock
from gql.db import Database
from gql.psp.port import PaymentProvider, WebhookRefused
from gql.psp.sandbox import SandboxProvider, signed_headers
from gql.settings import Settings
from tests.support.api import make_settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BODY = b'{"id":"tr_abc"}'


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return make_settings(sqlite_url, tmp_path / "data")


@pytest.fixture
async def provider_with(settings: Settings) -> AsyncIterator[Callable[[Settings], PaymentProvider]]:
    """Sandbox providers with the given settings. Verifying reads no table: their database
    is never opened."""
    db = Database(settings.database_url)
    yield lambda chosen: SandboxProvider(db, chosen, FrozenClock(NOW))
    await db.dispose()


@pytest.fixture
def provider(
    provider_with: Callable[[Settings], PaymentProvider], settings: Settings
) -> PaymentProvider:
    return provider_with(settings)


def test_a_well_signed_recent_webhook_names_its_payment(
    provider: PaymentProvider, settings: Settings
) -> None:
    # given: signed four minutes ago
    headers = signed_headers(settings, BODY, now=NOW - timedelta(minutes=4))

    # when
    provider_id = provider.verify_webhook(headers, BODY, now=NOW)

    # then
    assert provider_id == "tr_abc"


@pytest.mark.parametrize(
    "tamper",
    ["another secret", "another body", "no signature", "another timestamp"],
)
def test_a_webhook_with_a_bad_signature_is_refused_with_401(
    provider: PaymentProvider, settings: Settings, tamper: str
) -> None:
    # given
    headers = signed_headers(settings, BODY, now=NOW)
    body = BODY
    if tamper == "another secret":
        other = replace(settings, secret_key="another-secret-key-that-is-long-enough-98765")
        headers = signed_headers(other, BODY, now=NOW)
    elif tamper == "another body":
        body = b'{"id":"tr_xyz"}'
    elif tamper == "no signature":
        del headers["X-Sandbox-Signature"]
    else:
        headers["X-Sandbox-Timestamp"] = str(int(NOW.timestamp()) + 1)

    # when
    with pytest.raises(WebhookRefused) as refused:
        provider.verify_webhook(headers, body, now=NOW)

    # then
    assert refused.value.status == 401


@pytest.mark.parametrize(
    "age", [timedelta(seconds=301), -timedelta(seconds=301), timedelta(days=1)]
)
def test_a_webhook_signed_more_than_five_minutes_away_is_refused_with_400(
    provider: PaymentProvider, settings: Settings, age: timedelta
) -> None:
    # given: a replay of a webhook that was genuine once
    headers = signed_headers(settings, BODY, now=NOW - age)

    # when
    with pytest.raises(WebhookRefused) as refused:
        provider.verify_webhook(headers, BODY, now=NOW)

    # then
    assert (refused.value.status, refused.value.reason) == (400, "stale timestamp")


@pytest.mark.parametrize("timestamp", [None, "", "yesterday", "-5", "1.5e9", "١٧٠٠٠٠٠٠٠٠"])
def test_a_webhook_without_a_readable_timestamp_is_refused_with_400(
    provider: PaymentProvider, settings: Settings, timestamp: str | None
) -> None:
    # given
    headers = signed_headers(settings, BODY, now=NOW)
    if timestamp is None:
        del headers["X-Sandbox-Timestamp"]
    else:
        headers["X-Sandbox-Timestamp"] = timestamp

    # when
    with pytest.raises(WebhookRefused) as refused:
        provider.verify_webhook(headers, BODY, now=NOW)

    # then
    assert refused.value.status == 400


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"id": 5}', b'{"id": ""}'])
def test_a_signed_webhook_whose_body_names_no_payment_is_refused_with_400(
    provider: PaymentProvider, settings: Settings, body: bytes
) -> None:
    # given
    headers = signed_headers(settings, body, now=NOW)

    # when
    with pytest.raises(WebhookRefused) as refused:
        provider.verify_webhook(headers, body, now=NOW)

    # then
    assert refused.value.status == 400


def test_header_names_are_read_in_any_case(provider: PaymentProvider, settings: Settings) -> None:
    # given: as an HTTP/2 server hands them over
    headers = {k.lower(): v for k, v in signed_headers(settings, BODY, now=NOW).items()}

    # when / then
    assert provider.verify_webhook(headers, BODY, now=NOW) == "tr_abc"


def test_a_configured_webhook_secret_is_the_one_that_signs_and_verifies(
    provider_with: Callable[[Settings], PaymentProvider], settings: Settings
) -> None:
    # given: a real provider's secret, set in TOEGANG_PSP_WEBHOOK_SECRET
    secret = "whsec_" + "s" * 40
    configured = replace(settings, psp_webhook_secret=secret)
    timestamp = str(int(NOW.timestamp()))
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256
    ).hexdigest()
    headers = {"X-Sandbox-Timestamp": timestamp, "X-Sandbox-Signature": signature}

    # when
    accepted = provider_with(configured).verify_webhook(headers, BODY, now=NOW)
    with pytest.raises(WebhookRefused) as refused:
        provider_with(settings).verify_webhook(headers, BODY, now=NOW)

    # then: the derived secret no longer counts
    assert accepted == "tr_abc"
    assert signed_headers(configured, BODY, now=NOW)["X-Sandbox-Signature"] == signature
    assert refused.value.status == 401


def test_after_a_key_rotation_webhooks_signed_under_the_old_key_still_verify(
    provider_with: Callable[[Settings], PaymentProvider], settings: Settings
) -> None:
    # given: the derived secret, before and after a new key was put first
    rotated = replace(settings, secret_key=f"{'n' * 64},{settings.secret_key}")
    headers = signed_headers(settings, BODY, now=NOW)

    # when
    provider_id = provider_with(rotated).verify_webhook(headers, BODY, now=NOW)

    # then
    assert provider_id == "tr_abc"
    assert signed_headers(rotated, BODY, now=NOW) != headers
