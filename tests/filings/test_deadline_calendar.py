"""The deadline calendar over the API, and its reminders: sent once, also by two workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import httpx
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.services.filings.deadlines import send_due_reminders
from gql.settings import Settings
from tests.support.api import gql, gql_upload, http_client, outbox, running_app
from tests.support.documents import pdf_document
from tests.support.factories import add_account, add_company, log_in

KVK = "12345678"
CALENDAR = """
query { annualReportCalendar {
  kvkNumber obligation registeredOn overdueYears
  years { financialYearEnd deadline filedOn status }
} }
"""
FILE = """
mutation File($input: FileAnnualReportInput!) {
  fileAnnualReport(input: $input) { __typename }
}
"""


async def an_organisation(app: Starlette, *, legal_form: str = "Besloten Vennootschap") -> str:
    await add_company(
        app,
        kvk_number=KVK,
        legal_form=legal_form,
        registered_on=date(2021, 3, 15),
        financial_year_end="12-31",
    )
    return await add_account(
        app, usage="BUSINESS", kvk_number=KVK, is_main_user=True, email="hoofd@bedrijf.nl"
    )


async def test_the_calendar_lists_every_ended_year_with_its_deadline_and_what_is_overdue(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: registered in March 2021, a calendar financial year, today 1 June 2024
    clock.set(datetime(2024, 6, 1, 10, tzinfo=UTC))
    code = await an_organisation(app)
    await log_in(client, code)
    filed = await gql_upload(
        client,
        FILE,
        {"input": {"kvkNumber": KVK, "financialYearEnd": "2022-12-31", "document": None}},
        {"0": ("variables.input.document", ("j.pdf", pdf_document(), "application/pdf"))},
    )
    assert filed.json()["data"]["fileAnnualReport"]["__typename"] == "FileAnnualReportPayload"
    # when
    body = await gql(client, CALENDAR)
    # then
    calendar = body["data"]["annualReportCalendar"]
    assert (calendar["kvkNumber"], calendar["obligation"]) == (KVK, "MUST_FILE")
    assert calendar["years"] == [
        {
            "financialYearEnd": "2021-12-31",
            "deadline": "2022-12-31",
            "filedOn": None,
            "status": "OVERDUE",
        },
        {
            "financialYearEnd": "2022-12-31",
            "deadline": "2023-12-31",
            "filedOn": "2024-06-01",
            "status": "FILED_LATE",
        },
        {
            "financialYearEnd": "2023-12-31",
            "deadline": "2024-12-31",
            "filedOn": None,
            "status": "OPEN",
        },
    ]
    assert calendar["overdueYears"] == 1


async def test_an_exempt_legal_form_has_no_years_to_file(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await an_organisation(app, legal_form="Eenmanszaak")
    await log_in(client, code)
    # when
    body = await gql(client, CALENDAR)
    # then
    calendar = body["data"]["annualReportCalendar"]
    assert (calendar["obligation"], calendar["years"]) == ("EXEMPT", [])


async def test_a_private_account_has_no_calendar(app: Starlette, client: httpx.AsyncClient) -> None:
    await log_in(client, await add_account(app))
    body = await gql(client, CALENDAR)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_reminder_goes_to_the_main_user_once_even_with_two_workers(
    app: Starlette, settings: Settings, clock: FrozenClock
) -> None:
    # given: five weeks before the deadline of the 2023 accounts, which are not filed
    clock.set(datetime(2024, 11, 26, 9, tzinfo=UTC))
    await an_organisation(app)
    # when: two workers (two apps on one database) look at the same moment, and again later
    async with running_app(settings, clock) as second:
        counts = await asyncio.gather(
            send_due_reminders(app.state.deps, now=clock.now()),
            send_due_reminders(second.state.deps, now=clock.now()),
        )
        clock.advance(days=1)
        again = await send_due_reminders(second.state.deps, now=clock.now())
    # then: one mail (the 2021 and 2022 years are past their deadlines: no reminder)
    reminders = [m for m in await outbox(app) if m.template == "annual_report_reminder"]
    assert sorted(counts) == [0, 1] and again == 0
    [mail] = reminders
    assert mail.recipient == "hoofd@bedrijf.nl"
    assert "31 december 2024" in mail.body


async def test_no_reminder_is_sent_before_the_window_or_for_a_filed_year(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given
    clock.set(datetime(2024, 11, 1, 9, tzinfo=UTC))
    code = await an_organisation(app)
    # when: eight weeks before: too early
    early = await send_due_reminders(app.state.deps, now=clock.now())
    # and after filing, inside the window
    async with http_client(app) as filer:
        await log_in(filer, code)
        await gql_upload(
            filer,
            FILE,
            {"input": {"kvkNumber": KVK, "financialYearEnd": "2023-12-31", "document": None}},
            {"0": ("variables.input.document", ("j.pdf", pdf_document(), "application/pdf"))},
        )
    clock.advance(days=25)
    late = await send_due_reminders(app.state.deps, now=clock.now())
    # then
    assert (early, late) == (0, 0)
