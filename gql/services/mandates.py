"""Direct-debit mandates: the payment method of an organisation or private account.

IBANs are validated with schwifty (checksums and per-country formats).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql.i18n import texts
from gql.mail.templates import Template, register
from gql.models.mandates import DirectDebitMandate
from gql.services.shared.errors import Problems
from gql.services.shared.validation import text_field

TEXTS = texts(
    __name__,
    {
        "iban_invalid": {
            "nl": "Dit IBAN is ongeldig: {reason}",
            "en": "This IBAN is not valid: {reason}",
        },
        "consent_required": {
            "nl": "Geef toestemming voor de automatische incasso.",
            "en": "Please consent to the direct debit.",
        },
    },
)

MAILS = register(
    {
        "payment_method_changed": Template(
            subject={"nl": "Betaalwijze vastgelegd", "en": "Payment method recorded"},
            body={
                "nl": "Beste {name},\n\nVoor {holder_text} is een machtiging voor automatische incasso "
                "vastgelegd: IBAN {iban_masked}, kenmerk {reference}, getekend op {at}.",
                "en": "Dear {name},\n\nA direct-debit mandate was recorded for {holder_text}: "
                "IBAN {iban_masked}, reference {reference}, signed on {at}.",
            },
            confirms_a_change=True,
        ),
    }
)

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True, slots=True)
class MandateInput:
    iban: str
    account_holder: str
    consent: bool


def iban_field(problems: Problems, field: tuple[str, ...] | str, value: str) -> str:
    """An IBAN with a valid checksum and country format, in its compact form."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        problems.add(field, "iban_invalid", reason=str(exc))
        return value


def validate_mandate(problems: Problems, mandate: MandateInput, *, field: str) -> MandateInput:
    """A mandate with a valid IBAN (checksum, country format), a holder and consent."""
    iban = iban_field(problems, (field, "iban"), mandate.iban)
    holder = text_field(problems, (field, "accountHolder"), mandate.account_holder, maximum=200)
    if not mandate.consent:
        problems.add((field, "consent"), "consent_required")
    return MandateInput(iban=iban, account_holder=holder, consent=mandate.consent)


def mask_iban(iban: str) -> str:
    return f"{iban[:4]} **** **** {iban[-4:]}"


def _owner(*, kvk_number: str | None, account_id: int | None) -> Any:
    assert (kvk_number is None) != (account_id is None)
    if kvk_number is not None:
        return DirectDebitMandate.kvk_number == kvk_number
    return DirectDebitMandate.account_id == account_id


async def active_mandate(
    session: AsyncSession, *, kvk_number: str | None = None, account_id: int | None = None
) -> DirectDebitMandate | None:
    """The mandate new orders are collected on: an organisation's or a private account's."""
    return (
        await session.execute(
            select(DirectDebitMandate).where(
                _owner(kvk_number=kvk_number, account_id=account_id),
                DirectDebitMandate.active.is_(True),  # type: ignore[attr-defined]
            )
        )
    ).scalar_one_or_none()


async def active_company_mandate(
    session: AsyncSession, *, kvk_number: str
) -> DirectDebitMandate | None:
    return await active_mandate(session, kvk_number=kvk_number)


async def sign_mandate(
    session: AsyncSession,
    *,
    iban: str,
    account_holder: str,
    now: datetime,
    kvk_number: str | None = None,
    account_id: int | None = None,
) -> DirectDebitMandate:
    """Record a signed mandate with a unique reference as the holder's payment method.

    The holder's earlier mandate stops being used for new orders (an invoice already sent is
    still collected on the mandate printed on it); the unique index on active mandates keeps
    it to one."""
    await session.execute(
        update(DirectDebitMandate)
        .where(
            _owner(kvk_number=kvk_number, account_id=account_id),
            DirectDebitMandate.active.is_(True),  # type: ignore[attr-defined]
        )
        .values(active=False)
    )
    mandate = DirectDebitMandate(
        reference="TOEGANG-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(16)),
        kvk_number=kvk_number,
        account_id=account_id,
        iban=iban,
        account_holder=account_holder,
        signed_at=now,
    )
    session.add(mandate)
    await session.flush()
    return mandate


async def sign_company_mandate(
    session: AsyncSession, *, kvk_number: str, iban: str, account_holder: str, now: datetime
) -> DirectDebitMandate:
    return await sign_mandate(
        session, kvk_number=kvk_number, iban=iban, account_holder=account_holder, now=now
    )


async def end_mandate(session: AsyncSession, *, account_id: int) -> None:
    """A private account back on its balance: its mandate is no longer used for new orders."""
    await session.execute(
        update(DirectDebitMandate)
        .where(
            _owner(kvk_number=None, account_id=account_id),
            DirectDebitMandate.active.is_(True),  # type: ignore[attr-defined]
        )
        .values(active=False)
    )
