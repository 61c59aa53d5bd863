"""Staff accounts: made from the command line only, with a TOTP secret for the second factor."""

from __future__ import annotations

from gql.models.accounts import Usage
from gql.services.accounts import access_codes
from gql.services.accounts.accounts import new_account
from gql.services.accounts.passwords import check_password
from gql.services.shared.deps import Deps
from gql.services.shared.errors import Problems
from gql.services.shared.validation import email_field, text_field


async def create_staff(
    deps: Deps, *, name: str, email: str, password: str, totp_secret: str
) -> str:
    """A staff account; returns its access code in display form."""
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
            totp_secret=totp_secret,
            now=deps.clock.now(),
        )
        await session.commit()
    return access_codes.display(account.access_code)
