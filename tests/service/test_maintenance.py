"""Maintenance windows: staff schedule and cancel them, everybody reads the service status,
and ordering is refused while one is in progress (SPEC §3.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gql.clock import FrozenClock
from gql.demo import seed
from gql.models.service import MaintenanceWindow
from gql.schema.types.errors import error_result
from gql.schema.types.ids import parse_global_id, to_global_id
from gql.services.service import MaintenanceInProgressError, ensure_no_maintenance
from gql.services.shared.formatting import AMSTERDAM, format_moment
from gql.services.shared.workdays import is_working_day
from tests.support.api import gql
from tests.support.backoffice import audit_rows
from tests.support.factories import add_account, log_in

SCHEDULE = """
mutation Schedule($input: StaffScheduleMaintenanceInput!) {
  staffScheduleMaintenance(input: $input) {
    __typename
    ... on StaffScheduleMaintenancePayload {
      outsideUsualHours
      window { id startsAt endsAt notice cancelledAt }
    }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

CANCEL = """
mutation Cancel($input: StaffCancelMaintenanceInput!) {
  staffCancelMaintenance(input: $input) {
    __typename
    ... on StaffCancelMaintenancePayload { window { id startsAt endsAt notice cancelledAt } }
    ... on Error { code message field }
  }
}
"""

STATUS = """
query {
  serviceStatus {
    available
    current { id startsAt endsAt notice }
    upcoming { id startsAt endsAt notice }
  }
}
"""

NODE = """
query($id: ID!) { node(id: $id) { __typename ... on MaintenanceWindow { id notice cancelledAt } } }
"""

NOTICE_NL = "Onderhoud aan de koppeling met het Handelsregister."
NOTICE_EN = "Maintenance of the link with the trade register."
ENGLISH = {"accept-language": "en"}


def on_day(clock: FrozenClock, days: int, hour: int, minute: int = 0) -> datetime:
    """`hour`:`minute` in Amsterdam, `days` after the clock's day (a Monday, see conftest)."""
    day = clock.now().astimezone(AMSTERDAM).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


async def schedule(
    staff: httpx.AsyncClient,
    starts_at: datetime | str,
    ends_at: datetime | str,
    notice_nl: str = NOTICE_NL,
    notice_en: str = NOTICE_EN,
) -> dict[str, Any]:
    variables = {
        "input": {
            "startsAt": starts_at if isinstance(starts_at, str) else starts_at.isoformat(),
            "endsAt": ends_at if isinstance(ends_at, str) else ends_at.isoformat(),
            "noticeNl": notice_nl,
            "noticeEn": notice_en,
        }
    }
    result: dict[str, Any] = (await gql(staff, SCHEDULE, variables))["data"][
        "staffScheduleMaintenance"
    ]
    return result


async def cancel(staff: httpx.AsyncClient, window_id: str) -> dict[str, Any]:
    body = await gql(staff, CANCEL, {"input": {"windowId": window_id}})
    result: dict[str, Any] = body["data"]["staffCancelMaintenance"]
    return result


async def status(client: httpx.AsyncClient, **headers: str) -> dict[str, Any]:
    result: dict[str, Any] = (await gql(client, STATUS, headers=headers))["data"]["serviceStatus"]
    return result


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def refusal(app: Any, language: str) -> MaintenanceInProgressError | None:
    """What the check that ordering, top-ups and purchases call says now."""
    try:
        await ensure_no_maintenance(app.state.deps, language=language)
    except MaintenanceInProgressError as exc:
        return exc
    return None


async def stored_windows(app: Any) -> list[MaintenanceWindow]:
    async with app.state.deps.db.read() as session:
        query = select(MaintenanceWindow).order_by(MaintenanceWindow.id)
        return list((await session.execute(query)).scalars())


# --- Everybody sees the status --------------------------------------------------------------


async def test_a_scheduled_window_is_shown_to_anybody_as_upcoming_in_dutch_and_english(
    app, staff, client, clock
):
    # given: Saturday night, as maintenance usually is
    starts, ends = on_day(clock, 5, 22), on_day(clock, 6, 6)
    # when
    scheduled = await schedule(staff, starts, ends)
    dutch = await status(client)
    english = await status(client, **ENGLISH)
    # then
    assert scheduled["__typename"] == "StaffScheduleMaintenancePayload", scheduled
    assert scheduled["outsideUsualHours"] is False
    window = scheduled["window"]
    assert (moment(window["startsAt"]), moment(window["endsAt"])) == (starts, ends)
    assert (window["notice"], window["cancelledAt"]) == (NOTICE_NL, None)
    assert dutch["available"] is True and dutch["current"] is None
    assert dutch["upcoming"] == [
        {
            "id": window["id"],
            "startsAt": window["startsAt"],
            "endsAt": window["endsAt"],
            "notice": NOTICE_NL,
        }
    ]
    assert moment(dutch["upcoming"][0]["startsAt"]).utcoffset() == timedelta(0)
    assert [w["notice"] for w in english["upcoming"]] == [NOTICE_EN]
    assert (await stored_windows(app))[0].created_by_id is not None
    assert await refusal(app, "nl") is None


async def test_during_a_window_ordering_is_refused_with_the_notice_in_the_callers_language_and_its_end(
    app, staff, client, clock
):
    # given: a window from 10:00 to 12:00, and the clock at 10:30
    starts, ends = on_day(clock, 0, 10), on_day(clock, 0, 12)
    window_id = (await schedule(staff, starts, ends))["window"]["id"]
    assert await refusal(app, "nl") is None
    clock.set(on_day(clock, 0, 10, 30))
    # when
    dutch = await refusal(app, "nl")
    english = await refusal(app, "en")
    during = await status(client, **ENGLISH)
    # then
    assert dutch is not None and english is not None
    assert dutch.params == {"notice": NOTICE_NL, "ends_at": ends}
    assert english.params == {"notice": NOTICE_EN, "ends_at": ends}
    assert during["available"] is False and during["upcoming"] == []
    assert during["current"]["id"] == window_id
    assert (during["current"]["notice"], moment(during["current"]["endsAt"])) == (NOTICE_EN, ends)
    # and a client reads it as MaintenanceInProgress: the end time for people in the message,
    # as a moment in endsAt
    answer = error_result(english, "en")
    assert type(answer).__name__ == "MaintenanceInProgress"
    assert answer.code.name == "MAINTENANCE_IN_PROGRESS"
    assert (answer.notice, answer.ends_at, answer.field) == (NOTICE_EN, ends, None)
    assert answer.message == (
        f"Because of maintenance you cannot order or top up until {format_moment(ends, 'en')}. "
        f"{NOTICE_EN}"
    )
    assert format_moment(ends, "nl") in error_result(dutch, "nl").message

    # when: the window is over
    clock.set(ends)
    after = await status(client)
    # then
    assert await refusal(app, "nl") is None
    assert after == {"available": True, "current": None, "upcoming": []}


async def test_a_cancelled_window_vanishes_from_the_status_and_blocks_nothing(
    app, staff, client, clock
):
    # given: one window in progress since an hour, one on Saturday night
    current = await schedule(staff, clock.now() - timedelta(hours=1), on_day(clock, 0, 12))
    upcoming = await schedule(staff, on_day(clock, 5, 22), on_day(clock, 6, 6))
    assert await refusal(app, "nl") is not None
    before = await status(client)
    assert before["current"]["id"] == current["window"]["id"]
    assert [w["id"] for w in before["upcoming"]] == [upcoming["window"]["id"]]
    # when
    ended = await cancel(staff, current["window"]["id"])
    called_off = await cancel(staff, upcoming["window"]["id"])
    # then
    assert ended["__typename"] == called_off["__typename"] == "StaffCancelMaintenancePayload"
    assert moment(ended["window"]["cancelledAt"]) == clock.now()
    assert await refusal(app, "nl") is None
    assert await status(client) == {"available": True, "current": None, "upcoming": []}
    # staff still read a cancelled window by its id; nobody else does
    for_staff = await gql(staff, NODE, {"id": upcoming["window"]["id"]})
    assert for_staff["data"]["node"]["cancelledAt"] == called_off["window"]["cancelledAt"]
    assert await gql(client, NODE, {"id": upcoming["window"]["id"]}) == {"data": {"node": None}}


# --- Staff: the rules -----------------------------------------------------------------------


async def test_every_problem_with_a_window_is_listed_together_and_nothing_is_stored(
    app, staff, clock
):
    # given
    now = clock.now()
    # when: it ends before it starts, one notice is empty and the other too long
    first = await schedule(staff, now + timedelta(hours=3), now + timedelta(hours=2), "", "x" * 501)
    # when: entirely in the past and eight days long, with an invisible character
    second = await schedule(
        staff, now - timedelta(days=9), now - timedelta(days=1), "Onder\u200bhoud", NOTICE_EN
    )
    # when: moments without their offset
    third = await schedule(staff, "2030-01-05T22:00:00", "2030-01-06T06:00:00")
    # then
    assert first["__typename"] == second["__typename"] == third["__typename"] == "InvalidInput"
    assert [(p["field"], p["message"]) for p in first["problems"]] == [
        (["endsAt"], "Het onderhoud moet eindigen na het begin."),
        (["noticeNl"], "Dit veld is verplicht."),
        (["noticeEn"], "Dit veld mag hoogstens 500 tekens bevatten."),
    ]
    assert [(p["field"], p["message"]) for p in second["problems"]] == [
        (["endsAt"], "Onderhoud duurt hoogstens 7 dagen; plan een langere periode in delen."),
        (["endsAt"], "Dit onderhoud ligt helemaal in het verleden."),
        (["noticeNl"], "Dit veld bevat onzichtbare of stuurtekens."),
    ]
    assert [p["field"] for p in third["problems"]] == [["startsAt"], ["endsAt"]]
    assert third["problems"][0]["message"].startswith("Geef het tijdstip met de tijdzone")
    assert await stored_windows(app) == []
    assert await audit_rows(app) == []


async def test_the_payload_says_when_a_window_reaches_into_working_hours(app, staff, clock):
    # given: the next working day (not a Dutch public holiday)
    days = 1
    while not is_working_day(on_day(clock, days, 12).date()):
        days += 1
    # when
    afternoon = await schedule(staff, on_day(clock, days, 14), on_day(clock, days, 16))
    night = await schedule(staff, on_day(clock, days, 22), on_day(clock, days + 1, 6))
    # then: both are scheduled; only the afternoon is unusual
    assert afternoon["__typename"] == night["__typename"] == "StaffScheduleMaintenancePayload"
    assert (afternoon["outsideUsualHours"], night["outsideUsualHours"]) == (True, False)


async def test_cancelling_an_unknown_an_ended_or_a_cancelled_window_is_refused_with_its_reason(
    app, staff, clock
):
    # given: one window for the next five minutes, one on Saturday night that is cancelled
    short = await schedule(staff, clock.now(), clock.now() + timedelta(minutes=5))
    later = await schedule(staff, on_day(clock, 5, 22), on_day(clock, 6, 6))
    assert (await cancel(staff, later["window"]["id"]))["__typename"] == (
        "StaffCancelMaintenancePayload"
    )
    parsed = parse_global_id(short["window"]["id"])
    assert parsed is not None
    # when
    unknown = await cancel(staff, to_global_id("MaintenanceWindow", parsed[1] + 1000))
    other_type = await cancel(staff, to_global_id("Viewer", parsed[1]))
    again = await cancel(staff, later["window"]["id"])
    clock.advance(minutes=10)
    over = await cancel(staff, short["window"]["id"])
    # then
    assert [(r["__typename"], r["code"], r["field"]) for r in (unknown, other_type)] == [
        ("NotFound", "NOT_FOUND", ["windowId"]),
        ("NotFound", "NOT_FOUND", ["windowId"]),
    ]
    assert (again["__typename"], again["message"]) == (
        "InvalidState",
        "Dit onderhoud is al geannuleerd.",
    )
    assert (over["__typename"], over["message"]) == ("InvalidState", "Dit onderhoud is al voorbij.")
    windows = await stored_windows(app)
    assert [w.cancelled_at is None for w in windows] == [True, False]
    assert [e.action for e in await audit_rows(app)] == [
        "maintenance_window.scheduled",
        "maintenance_window.scheduled",
        "maintenance_window.cancelled",
    ]


# --- Staff only, and in the audit trail -----------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [pytest.param("customer", "FORBIDDEN"), pytest.param("anonymous", "UNAUTHENTICATED")],
)
async def test_only_staff_schedule_or_cancel_maintenance_and_nothing_changes_for_others(
    app, staff, client, clock, who, expected
):
    # given: a window staff scheduled, and a customer (or nobody) on `client`
    window = (await schedule(staff, on_day(clock, 5, 22), on_day(clock, 6, 6)))["window"]
    if who == "customer":
        customer = await add_account(app)
        assert (await log_in(client, customer))["__typename"] == "LogInPayload"
    variables = {
        "input": {
            "startsAt": clock.now().isoformat(),
            "endsAt": (clock.now() + timedelta(hours=1)).isoformat(),
            "noticeNl": NOTICE_NL,
            "noticeEn": NOTICE_EN,
        }
    }
    # when
    scheduled = await gql(client, SCHEDULE, variables)
    cancelled = await gql(client, CANCEL, {"input": {"windowId": window["id"]}})
    # then
    for body in (scheduled, cancelled):
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [expected]
    assert [w["id"] for w in (await status(client))["upcoming"]] == [window["id"]]
    assert await refusal(app, "nl") is None
    assert [w.cancelled_at for w in await stored_windows(app)] == [None]
    assert len(await audit_rows(app)) == 1


async def test_each_staff_mutation_appends_exactly_one_audit_event_without_the_notice_text(
    app, staff, clock
):
    # given
    starts, ends = on_day(clock, 5, 22), on_day(clock, 6, 6)
    # when
    scheduled = await schedule(staff, starts, ends)
    after_scheduling = await audit_rows(app)
    clock.advance(minutes=1)
    cancelled = await cancel(staff, scheduled["window"]["id"])
    events = await audit_rows(app)
    # then
    assert cancelled["__typename"] == "StaffCancelMaintenancePayload"
    assert len(after_scheduling) == 1 and len(events) == 2
    parsed = parse_global_id(scheduled["window"]["id"])
    assert parsed is not None
    subject = f"maintenance_window:{parsed[1]}"
    assert [(e.action, e.subject) for e in events] == [
        ("maintenance_window.scheduled", subject),
        ("maintenance_window.cancelled", subject),
    ]
    assert [e.at for e in events] == [clock.now() - timedelta(minutes=1), clock.now()]
    staff_ids = {e.actor_id for e in events}
    windows = await stored_windows(app)
    assert staff_ids == {windows[0].created_by_id} == {windows[0].cancelled_by_id}
    for event in events:
        # the times, never the free text: the trail is append-only, the window is not
        assert starts.astimezone(UTC).isoformat() in event.details
        assert ends.astimezone(UTC).isoformat() in event.details
        assert NOTICE_NL not in event.details and NOTICE_EN not in event.details
        assert "Onderhoud" not in event.details and "Maintenance" not in event.details


# --- Demo data ------------------------------------------------------------------------------


async def test_the_demo_data_announces_maintenance_next_saturday_night_once(app, client, clock):
    # when
    await seed(app.state.deps)
    await seed(app.state.deps)
    shown = await status(client, **ENGLISH)
    # then: Saturday 22:00 to Sunday 06:00 in Amsterdam, whatever the offset that night
    assert shown["available"] is True
    [window] = shown["upcoming"]
    assert moment(window["startsAt"]) == on_day(clock, 5, 22)
    assert moment(window["endsAt"]) == on_day(clock, 6, 6)
    assert window["notice"].startswith("Planned maintenance")
