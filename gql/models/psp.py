"""The payment provider's vocabulary, and the tables of the built-in sandbox provider.

`PaymentMethod` and `ProviderStatus` are the port's words (gql/psp/port.py re-exports them):
they live here because they are stored states, in the sandbox's tables and the app's own
payments alike, and tables import no adapter. The sandbox tables belong to the sandbox
alone: the app learns about a payment only through the port (get_status) and the webhook.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class PaymentMethod(StrEnum):
    """How the payer pays at the provider."""

    IDEAL = "IDEAL"
    CREDIT_CARD = "CREDIT_CARD"


class ProviderStatus(StrEnum):
    """A payment's state at the provider. OPEN until decided; every other state is final."""

    OPEN = "OPEN"
    PAID = "PAID"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class SandboxPayment(SQLModel, table=True):
    """A payment started at the sandbox provider; decided once on its checkout page."""

    __tablename__ = "sandbox_payment"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        one_of("method", PaymentMethod, name="method_known"),
        one_of("status", ProviderStatus, name="status_known"),
        # Only a decided payment has a decision moment, and only a paid one a payer.
        CheckConstraint("(status = 'OPEN') = (decided_at IS NULL)", name="decided_when_final"),
        CheckConstraint(
            "status = 'PAID' OR (payer_iban IS NULL AND payer_name IS NULL)",
            name="payer_when_paid",
        ),
        Index("ix_sandbox_payment_open", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # What the app knows the payment by: random, at least 128 bits, never a row number.
    provider_id: str = Field(unique=True, max_length=64)
    amount_cents: int
    method: PaymentMethod = text_enum_field(PaymentMethod, max_length=20)
    description: str = Field(max_length=255)
    # The app's own keys and values, as a JSON object of strings (at most 1 kB).
    metadata_json: str = Field(max_length=1024)
    status: ProviderStatus = text_enum_field(ProviderStatus, max_length=10)
    return_url: str = Field(max_length=2000)
    webhook_url: str = Field(max_length=2000)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    decided_at: datetime | None = utc_field(nullable=True, default=None)
    payer_iban: str | None = Field(default=None, max_length=34)
    payer_name: str | None = Field(default=None, max_length=200)


class SandboxWebhook(SQLModel, table=True):
    """A webhook call to make: one per change of a payment's status, delivered at least once.

    `next_attempt_at` is when it is due; a worker claims it by moving that moment a lease
    ahead. NULL once delivered or given up.
    """

    __tablename__ = "sandbox_webhook"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str = Field(foreign_key="sandbox_payment.provider_id", max_length=64, index=True)
    created_at: datetime = utc_field()
    attempts: int = 0
    next_attempt_at: datetime | None = utc_field(nullable=True, index=True)
    delivered_at: datetime | None = utc_field(nullable=True, default=None)
    last_error: str | None = Field(default=None, max_length=500)
