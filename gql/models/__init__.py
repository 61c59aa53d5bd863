"""Every table, imported so that SQLModel.metadata knows them all (Alembic reads it)."""

from gql.models.accounts import (
    AccessCodeRequest,
    Account,
    AuthSession,
    OneTimeToken,
    RecoveryRequest,
)
from gql.models.outbox import OutboxMessage
from gql.models.payments import DirectDebitMandate
from gql.models.register import Company
from gql.models.security import AuditEvent, ThrottleHit

__all__ = [
    "AccessCodeRequest",
    "Account",
    "AuditEvent",
    "AuthSession",
    "Company",
    "DirectDebitMandate",
    "OneTimeToken",
    "OutboxMessage",
    "RecoveryRequest",
    "ThrottleHit",
]
