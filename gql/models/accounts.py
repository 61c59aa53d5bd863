"""Accounts, access-code requests, sessions and single-use tokens."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field
from gql.models.outbox import Channel


class Usage(StrEnum):
    """Who an access code is for."""

    BUSINESS = "BUSINESS"
    PRIVATE = "PRIVATE"
    STAFF = "STAFF"


class PaymentMethod(StrEnum):
    """How an account's orders are paid: from its balance, or by direct debit."""

    BALANCE = "BALANCE"
    DIRECT_DEBIT = "DIRECT_DEBIT"


class RequestStatus(StrEnum):
    """Where a business access-code request stands."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class SessionKind(StrEnum):
    """How a session is carried: an HttpOnly cookie or a bearer token."""

    COOKIE = "COOKIE"
    TOKEN = "TOKEN"


class TokenPurpose(StrEnum):
    """What a single-use token (and a recovery request) is for."""

    PASSWORD_RESET = "PASSWORD_RESET"
    NEW_ACCESS_CODE = "NEW_ACCESS_CODE"


class Account(SQLModel, table=True):
    """A person's access code with its password; BUSINESS accounts belong to a company."""

    __tablename__ = "account"
    __table_args__ = (
        one_of("usage", Usage, name="usage_known"),
        one_of("payment_method", PaymentMethod, name="payment_method_known"),
        CheckConstraint("(usage = 'BUSINESS') = (kvk_number IS NOT NULL)", name="business_has_kvk"),
        # One active business code per person (e-mail) per organisation.
        Index(
            "uq_account_business_person",
            "email_normalized",
            "kvk_number",
            unique=True,
            sqlite_where=text("active AND usage = 'BUSINESS'"),
            postgresql_where=text("active AND usage = 'BUSINESS'"),
        ),
        # At most one active main user per organisation, also when two staff members name
        # one at the same moment (gql/services/accounts/organisation.py).
        Index(
            "uq_account_main_user",
            "kvk_number",
            unique=True,
            sqlite_where=text("is_main_user AND active"),
            postgresql_where=text("is_main_user AND active"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    access_code: str = Field(unique=True, max_length=16)
    usage: Usage = text_enum_field(Usage, max_length=10)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    email_normalized: str = Field(max_length=254, index=True)
    kvk_number: str | None = Field(default=None, foreign_key="company.kvk_number", index=True)
    is_main_user: bool = False
    password_hash: str = Field(max_length=255)
    language: str = Field(default="nl", max_length=2)
    # Sealed (gql/keys.py, Purpose.TOTP_SECRET); opened only to verify a code.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_last_step: int | None = None
    # Private accounts choose; business accounts always pay by their organisation's mandate.
    payment_method: PaymentMethod = text_enum_field(
        PaymentMethod, max_length=12, default=PaymentMethod.BALANCE
    )
    active: bool = True
    created_at: datetime = utc_field()
    password_changed_at: datetime = utc_field()


class AccessCodeRequest(SQLModel, table=True):
    """A business request that waits for the staff check."""

    __tablename__ = "access_code_request"
    __table_args__ = (
        one_of("status", RequestStatus, name="status_known"),
        one_of("delivered_by", Channel, name="delivered_by_known", nullable=True),
        Index(
            "uq_access_code_request_pending",
            "email_normalized",
            "kvk_number",
            unique=True,
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    email_normalized: str = Field(max_length=254)
    kvk_number: str = Field(foreign_key="company.kvk_number", index=True)
    password_hash: str = Field(max_length=255)
    language: str = Field(default="nl", max_length=2)
    mandate_iban: str | None = Field(default=None, max_length=34)
    mandate_account_holder: str | None = Field(default=None, max_length=200)
    status: RequestStatus = text_enum_field(
        RequestStatus, max_length=10, default=RequestStatus.PENDING, index=True
    )
    requested_at: datetime = utc_field()
    expected_by: date
    decided_at: datetime | None = utc_field(nullable=True, default=None)
    decided_by_id: int | None = Field(default=None, foreign_key="account.id")
    rejection_reason: str | None = Field(default=None, max_length=500)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    delivered_by: Channel | None = text_enum_field(Channel, max_length=10, default=None)


class AuthSession(SQLModel, table=True):
    """A server-side session; only the SHA-256 of a token is ever stored.

    COOKIE: a browser session, its token's hash in `token_hash`. TOKEN: a device session of
    a mobile app (gql/services/accounts/device_sessions.py), a chain of rotating access and
    refresh tokens kept in `device_token`; it has no `token_hash`. Ending the row ends every
    token of the chain at once.
    """

    __tablename__ = "auth_session"
    __table_args__ = (
        one_of("kind", SessionKind, name="kind_known"),
        CheckConstraint(
            "kind = 'COOKIE' OR (authenticated_at IS NOT NULL AND refreshed_at IS NOT NULL)",
            name="device_session_times",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str | None = Field(default=None, unique=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: SessionKind = text_enum_field(SessionKind, max_length=6)
    created_at: datetime = utc_field()
    last_seen_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True, default=None)
    client_ip: str = Field(default="", max_length=45)
    #: Shown in the session list: the app's label for a device session, the browser's
    #: User-Agent (cut short) for a cookie session.
    device_name: str | None = Field(default=None, max_length=64)
    user_agent: str = Field(default="", max_length=200)
    #: Device sessions: when the password was last entered (the 30-day limit counts from
    #: here) and when the chain was last refreshed (the 7-day limit counts from here).
    authenticated_at: datetime | None = utc_field(nullable=True, default=None)
    refreshed_at: datetime | None = utc_field(nullable=True, default=None)


class DeviceToken(SQLModel, table=True):
    """One access and refresh token pair of a device session; only their hashes are stored.

    A used pair stays (its refresh hash detects reuse) until its chain has ended or expired.
    `successor` is the next pair, sealed (gql/keys.py, Purpose.REFRESH_GRACE), kept only
    through the grace period so a retried refresh gets the same answer.
    """

    __tablename__ = "device_token"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="auth_session.id", index=True)
    access_hash: str = Field(unique=True, max_length=64)
    refresh_hash: str = Field(unique=True, max_length=64)
    issued_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True, default=None)
    successor: str | None = Field(default=None, max_length=500)


class OneTimeToken(SQLModel, table=True):
    """A single-use token (password reset, new access code); only its hash is stored."""

    __tablename__ = "one_time_token"
    __table_args__ = (one_of("purpose", TokenPurpose, name="purpose_known"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: TokenPurpose = text_enum_field(TokenPurpose, max_length=20)
    token_hash: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True, default=None)


class RecoveryRequest(SQLModel, table=True):
    """A password-reset or new-code request, handled by the worker.

    The request itself does the same work whether or not an account matches (no account
    enumeration by timing); the worker looks the account up, issues the token and queues the
    mail. `lookup` (an access code, or an e-mail address and KVK number) is sealed at rest.
    """

    __tablename__ = "recovery_request"
    __table_args__ = (one_of("purpose", TokenPurpose, name="purpose_known"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: TokenPurpose = text_enum_field(TokenPurpose, max_length=20)
    lookup: str = Field(max_length=2000)
    created_at: datetime = utc_field()
