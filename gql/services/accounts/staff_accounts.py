"""Staff accounts: made from the command line only, with a TOTP secret for the second factor."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from gql.keys import Purpose
from gql.models.accounts import Account, Usage
from gql.services.accounts import access_codes
from gql.services.accounts.accounts import new_account
from gql.services.accounts.passwords import check_password
from gql.services.shared.deps import Deps
from gql.services.shared.errors import Problems
from gql.services.shared.validation import email_field, text_field


async def create_staff(
    deps: Deps, *, name: str, email: str, password: str, totp_secret: str
) -> str:
    """A staff account; returns its access code in display form. The TOTP secret is
    stored sealed: a copy of the database does not hand out the second factor."""
    problems = Problems()
    clean_name = text_field(problems, "name", name, maximum=200)
    clean_email = email_field(problems, "email", email)
    await check_password(problems, password, field="password", email=clean_email, name=clean_name)
    problems.raise_if_any()
    password_hash = await deps.hashing.hash(password)
    async with deps.db.write() as session:
        account = await new_account(
            session,
            usage=Usage.STAFF,
            name=clean_name,
            email=clean_email,
            password_hash=password_hash,
            sealed_totp_secret=deps.keys.seal(Purpose.TOTP_SECRET, totp_secret),
            now=deps.clock.now(),
        )
        await session.commit()
    return access_codes.display(account.access_code)


async def reseal_totp_secrets(deps: Deps) -> int:
    """Seal every staff TOTP secret again under the first key (after a key rotation)."""
    async with deps.db.write() as session:
        staff = list(
            (
                await session.execute(select(Account).where(col(Account.totp_secret).is_not(None)))
            ).scalars()
        )
        for account in staff:
            assert account.totp_secret is not None
            secret = deps.keys.unseal(Purpose.TOTP_SECRET, account.totp_secret)
            account.totp_secret = deps.keys.seal(Purpose.TOTP_SECRET, secret)
        await session.commit()
    return len(staff)
