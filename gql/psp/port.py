"""The payment service provider port: what the app asks of any payment provider.

A payment is started at the provider, which answers with a URL for the payer. The provider
later calls the app's webhook, which says only WHICH payment changed (as Mollie's does);
the app then asks `get_status` for the truth. A forged or replayed webhook can therefore at
worst make the app ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Stored states (the app's payments keep them too), so they live with the tables.
from gql.models.psp import PaymentMethod, ProviderStatus

__all__ = [
    "PaymentMethod",
    "PaymentProvider",
    "PaymentStatus",
    "ProviderStatus",
    "StartedPayment",
    "WebhookRefused",
]


@dataclass(frozen=True, slots=True)
class StartedPayment:
    """A payment the provider accepted, for the payer to complete at `payment_url`."""

    provider_id: str  # the provider's id of the payment (opaque, unguessable)
    payment_url: str  # where the payer goes (the checkout page)
    status: ProviderStatus  # OPEN
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    """A payment as the provider knows it now."""

    provider_id: str
    status: ProviderStatus
    amount_cents: int
    method: PaymentMethod
    metadata: dict[str, str]
    paid_at: datetime | None
    payer_iban: str | None  # iDEAL: the IBAN the money came from (for refund checks)
    payer_name: str | None


class WebhookRefused(Exception):
    """status: 401 bad signature, 400 stale/malformed timestamp or body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PaymentProvider(Protocol):
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
        """Start a payment; ValueError when an argument is one the provider refuses."""
        ...

    async def get_status(self, provider_id: str) -> PaymentStatus | None:
        """The payment's status now; None for an id the provider does not know."""
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> str:
        """The provider_id the (verified) webhook is about; raises WebhookRefused."""
        ...
