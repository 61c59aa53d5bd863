"""Small factories that put rows straight into the test database (never mocks)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pyotp
from pypdf import PdfReader
from starlette.applications import Starlette

from gql.keys import Purpose
from gql.models.accounts import Usage
from gql.models.register import Company
from gql.services.accounts import access_codes
from gql.services.accounts.accounts import new_account

PASSWORD = "een lange zin als wachtwoord 42"
OTHER_PASSWORD = "nog een andere lange zin voor later"

LOG_IN = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on LogInPayload {
      token refreshToken tokenExpiresAt expiresAt viewer { id accessCode name usage }
    }
    ... on Error { code message field }
  }
}
"""

VIEWER = "query { viewer { id accessCode name email usage kvkNumber isMainUser } }"

APPROVE = """
mutation Approve($input: StaffApproveAccessCodeRequestInput!) {
  staffApproveAccessCodeRequest(input: $input) {
    __typename
    ... on StaffApproveAccessCodeRequestPayload { request { id status deliveredBy } }
    ... on Error { code message field }
  }
}
"""

REJECT = """
mutation Reject($input: StaffRejectAccessCodeRequestInput!) {
  staffRejectAccessCodeRequest(input: $input) {
    __typename
    ... on StaffRejectAccessCodeRequestPayload { request { id status } }
    ... on Error { code message field }
  }
}
"""


async def add_company(
    app: Starlette,
    *,
    kvk_number: str = "12345678",
    name: str = "Testbedrijf B.V.",
    email: str | None = "info@testbedrijf.example",
    postal: tuple[str, str, str, str] | None = None,
    legal_form: str = "Besloten Vennootschap",
    registered_on: date | None = None,
    financial_year_end: str = "12-31",
) -> Company:
    deps = app.state.deps
    company = Company(
        kvk_number=kvk_number,
        name=name,
        legal_form=legal_form,
        registered_on=registered_on,
        financial_year_end=financial_year_end,
        email=email,
        visiting_street="Kerkstraat",
        visiting_house_number="1",
        visiting_postal_code="1234 AB",
        visiting_city="Amsterdam",
        postal_street=postal[0] if postal else None,
        postal_house_number=postal[1] if postal else None,
        postal_code=postal[2] if postal else None,
        postal_city=postal[3] if postal else None,
        updated_at=deps.clock.now(),
    )
    async with deps.db.write() as session:
        session.add(company)
        await session.commit()
    return company


async def add_account(
    app: Starlette,
    *,
    usage: str = "PRIVATE",
    name: str = "Piet Pieterse",
    email: str = "piet@example.nl",
    password: str = PASSWORD,
    kvk_number: str | None = None,
    is_main_user: bool = False,
    sealed_totp_secret: str | None = None,
    created_at: datetime | None = None,
) -> str:
    """An active account; returns its access code in display form."""
    deps = app.state.deps
    password_hash = await deps.hashing.hash(password)
    async with deps.db.write() as session:
        account = await new_account(
            session,
            usage=Usage(usage),
            name=name,
            email=email,
            kvk_number=kvk_number,
            is_main_user=is_main_user,
            password_hash=password_hash,
            sealed_totp_secret=sealed_totp_secret,
            now=created_at or deps.clock.now(),
        )
        await session.commit()
    return access_codes.display(account.access_code)


async def add_staff(app: Starlette, *, email: str = "medewerker@kvk.example") -> tuple[str, str]:
    """A staff account; returns (access code, TOTP secret). Its password is PASSWORD."""
    secret = pyotp.random_base32()
    sealed = app.state.deps.keys.seal(Purpose.TOTP_SECRET, secret)
    code = await add_account(
        app, usage="STAFF", name="Sam Medewerker", email=email, sealed_totp_secret=sealed
    )
    return code, secret


def totp_now(app: Starlette, secret: str, offset_steps: int = 0) -> str:
    now = app.state.deps.clock.now()
    return pyotp.TOTP(secret).at(int(now.timestamp()) + 30 * offset_steps)


async def log_in(
    client: httpx.AsyncClient,
    access_code: str,
    password: str = PASSWORD,
    **extra: Any,
) -> dict[str, Any]:
    """Sign in; `session="TOKEN"` starts a device session (named "Test phone" unless given)."""
    if extra.get("session") == "TOKEN":
        extra.setdefault("deviceName", "Test phone")
    response = await client.post(
        "/graphql",
        json={
            "query": LOG_IN,
            "variables": {"input": {"accessCode": access_code, "password": password, **extra}},
        },
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["logIn"]
    return result


async def staff_client_login(app: Starlette, client: httpx.AsyncClient) -> str:
    """Sign a new staff member in on `client` (cookie); returns the staff access code."""
    code, secret = await add_staff(app)
    result = await log_in(client, code, totp=totp_now(app, secret))
    assert result["__typename"] == "LogInPayload", result
    return code


# ---- reading what was sent ----------------------------------------------------------------

CODE_PATTERN = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")


def code_in(text: str) -> str:
    """The one access code in a mail or letter text."""
    found = CODE_PATTERN.findall(text)
    assert len(found) == 1, text
    return str(found[0])


def token_in(text: str) -> str:
    """The token of a recovery mail: the line that starts with 'Code: '."""
    found = re.search(r"^Code: (\S+)\r?$", text, re.MULTILINE)
    assert found, text
    return found.group(1)


def pdf_text(pdf: Path | bytes) -> str:
    """The text of a PDF (a file, or its bytes), as a PDF reader extracts it (pypdf)."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return "\n".join(page.extract_text() or "" for page in reader.pages)
