"""Direct-debit mandates: the payment method of an organisation or private account.

IBANs are validated with schwifty (checksums and per-country formats).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
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


def validate_mandate(problems: Problems, mandate: MandateInput, *, field: str) -> MandateInput:
    """A mandate with a valid IBAN (checksum, country format), a holder and consent."""
    iban = mandate.iban
    try:
        iban = IBAN(mandate.iban).compact
    except SchwiftyException as exc:
        problems.add((field, "iban"), "iban_invalid", reason=str(exc))
    holder = text_field(problems, (field, "accountHolder"), mandate.account_holder, maximum=200)
    if not mandate.consent:
        problems.add((field, "consent"), "consent_required")
    return MandateInput(iban=iban, account_holder=holder, consent=mandate.consent)


def mask_iban(iban: str) -> str:
    return f"{iban[:4]} **** **** {iban[-4:]}"


async def active_company_mandate(
    session: AsyncSession, *, kvk_number: str
) -> DirectDebitMandate | None:
    return (
        await session.execute(
            select(DirectDebitMandate).where(
                DirectDebitMandate.kvk_number == kvk_number,
                DirectDebitMandate.active.is_(True),  # type: ignore[attr-defined]
            )
        )
    ).scalar_one_or_none()


async def sign_company_mandate(
    session: AsyncSession, *, kvk_number: str, iban: str, account_holder: str, now: datetime
) -> DirectDebitMandate:
    """Record a signed mandate with a unique reference as the organisation's payment method."""
    mandate = DirectDebitMandate(
        reference="TOEGANG-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(16)),
        kvk_number=kvk_number,
        iban=iban,
        account_holder=account_holder,
        signed_at=now,
    )
    session.add(mandate)
    return mandate
