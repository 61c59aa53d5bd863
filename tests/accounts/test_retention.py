"""The retention job removes personal data when its period is over, and nothing else."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.models.accounts import AccessCodeRequest, Account, AuthSession, OneTimeToken
from gql.models.audit import AuditEvent
from gql.models.mandates import DirectDebitMandate
from gql.models.outbox import OutboxMessage
from gql.worker import run_retention
from tests.support.api import gql, http_client, outbox
from tests.support.backoffice import add_request, request_ids
from tests.support.factories import (
    APPROVE,
    OTHER_PASSWORD,
    REJECT,
    add_account,
    add_company,
    log_in,
    token_in,
)

REQUEST_RESET = """
mutation R($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { __typename } }
"""
RESET = """
mutation S($input: ResetPasswordInput!) { resetPassword(input: $input) { __typename } }
"""


async def counts(app: Starlette) -> dict[str, int]:
    async with app.state.deps.db.read() as session:
        return {
            table.__name__: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (
                Account,
                AccessCodeRequest,
                AuthSession,
                OneTimeToken,
                OutboxMessage,
                AuditEvent,
                DirectDebitMandate,
            )
        }


async def stripped_requests(app: Starlette) -> list[tuple[str | None, str | None]]:
    async with app.state.deps.db.read() as session:
        rows = await session.execute(
            select(AccessCodeRequest.mandate_iban, AccessCodeRequest.rejection_reason).order_by(
                AccessCodeRequest.id
            )
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_personal_data_is_removed_after_its_period_and_nothing_else(
    app: Starlette, client: httpx.AsyncClient, staff: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given, at one moment: a business request approved (its code goes by letter) and one
    # rejected with a reason, a password reset used, a session ended, every mail sent
    deps = app.state.deps
    await add_company(app, email="info@testbedrijf.example")
    await add_request(app, "bea@example.nl")
    await add_request(app, "kees@example.nl")
    ids = await request_ids(staff)
    await gql(staff, APPROVE, {"input": {"requestId": ids["bea@example.nl"]}})
    await gql(staff, REJECT, {"input": {"requestId": ids["kees@example.nl"], "reason": "Onbekend"}})
    code = await add_account(app, email="piet@example.nl")
    await gql(client, REQUEST_RESET, {"input": {"accessCode": code}})
    [reset_mail] = [m for m in await outbox(app) if m.template == "password_reset"]
    await gql(
        client,
        RESET,
        {"input": {"token": token_in(reset_mail.body), "newPassword": OTHER_PASSWORD}},
    )
    async with http_client(app) as browser:
        await log_in(browser, code, OTHER_PASSWORD)
        await gql(browser, "mutation { logOut(input: {}) { __typename } }")
    await Dispatcher(
        deps.db, deps.settings, deps.clock, make_senders(deps.settings, deps.db)
    ).run_once(100)
    letters = list((deps.settings.data_dir / "letters").glob("*.pdf"))
    assert letters
    for letter in letters:
        written = (clock.now() - timedelta(minutes=1)).timestamp()
        os.utime(letter, (written, written))
    before = await counts(app)

    # when: 13 days later only what has a shorter period is due (tokens: 7 days)
    clock.advance(days=13)
    first = await run_retention(deps, now=clock.now())
    # then
    assert first["tokens removed"] == 1
    assert await stripped_requests(app) == [
        ("NL91ABNA0417164300", None),
        ("NL91ABNA0417164300", "Onbekend"),
    ]
    assert {p.name for p in (deps.settings.data_dir / "letters").glob("*.pdf")} == {
        p.name for p in letters
    }

    # when: 31 days after it all happened
    clock.advance(days=18)
    second = await run_retention(deps, now=clock.now())
    # then: payment data and free text stripped, sent mail, ended sessions and letters gone
    assert await stripped_requests(app) == [(None, None), (None, None)]
    assert second["requests stripped"] == 2
    assert second["letters removed"] == len(letters)
    after = await counts(app)
    assert after["OutboxMessage"] == 0 < before["OutboxMessage"]
    assert after["AuthSession"] == 0 < before["AuthSession"]
    # never pruned: accounts, requests themselves, the mandate and the audit trail
    for kept in ("Account", "AccessCodeRequest", "AuditEvent", "DirectDebitMandate"):
        assert after[kept] == before[kept], kept


async def test_a_session_keeps_only_the_network_of_its_client_address(app: Starlette) -> None:
    # given
    code = await add_account(app)
    # when
    for address in ("192.0.2.77", "2001:db8:1234:5678::9"):
        async with http_client(app, ip=address) as client:
            assert (await log_in(client, code))["__typename"] == "LogInPayload"
    # then
    async with app.state.deps.db.read() as session:
        stored = set((await session.execute(select(AuthSession.client_ip))).scalars())
    assert stored == {"192.0.2.0/24", "2001:db8:1234::/48"}


def test_the_default_periods_are_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for variable in (
        "TOEGANG_RETENTION_DECIDED_REQUEST_DAYS",
        "TOEGANG_RETENTION_SENT_MAIL_DAYS",
        "TOEGANG_RETENTION_USED_TOKEN_DAYS",
        "TOEGANG_RETENTION_ENDED_SESSION_DAYS",
        "TOEGANG_RETENTION_LETTER_DAYS",
    ):
        assert variable in readme, variable
