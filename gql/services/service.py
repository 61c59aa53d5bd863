"""The service status: maintenance windows that staff schedule (SPEC §3.6).

During a window, ordering, top-ups and anonymous purchases are refused with
MaintenanceInProgress, which carries the notice and the end time: their use cases call
`ensure_no_maintenance` first. Reading, signing in, refunds, webhooks and the reconciliation
of payment statuses never call it, so they go on. Usually maintenance happens on working days
between 21:00 and 08:00 or in the weekend (Europe/Amsterdam); a window at another time is
allowed, since unplanned maintenance happens, and scheduling it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar

from sqlalchemy import bindparam, select

from gql.i18n import texts
from gql.models.service import NOTICE_MAX_LENGTH, MaintenanceWindow
from gql.reader import Read
from gql.services.shared import audit
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    DomainError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    Problems,
    raises,
)
from gql.services.shared.formatting import AMSTERDAM, format_moment, local_date
from gql.services.shared.validation import text_field
from gql.services.shared.workdays import is_working_day

#: The longest window staff may schedule at once; a longer one is two decisions.
MAX_DURATION = timedelta(days=7)
#: The moments a window may name (no calendar arithmetic overflows between them).
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(9000, 1, 1, tzinfo=UTC)
#: How many windows serviceStatus lists: it is a notice, not an archive.
STATUS_LIMIT = 20
#: Working hours, in which maintenance is unusual (on working days, Europe/Amsterdam).
WORK_STARTS = time(8)
WORK_ENDS = time(21)

TEXTS = texts(
    __name__,
    {
        "maintenance_in_progress": {
            "nl": "Door onderhoud kun je tot {ends_at} niet bestellen of tegoed storten. {notice}",
            "en": "Because of maintenance you cannot order or top up until {ends_at}. {notice}",
        },
        "moment_needs_offset": {
            "nl": "Geef het tijdstip met de tijdzone, zoals 2026-12-05T22:00:00+01:00.",
            "en": "Give the moment with its time zone, such as 2026-12-05T22:00:00+01:00.",
        },
        "moment_out_of_range": {
            "nl": "Kies een moment tussen 1900 en 9000.",
            "en": "Choose a moment between 1900 and 9000.",
        },
        "window_ends_before_start": {
            "nl": "Het onderhoud moet eindigen na het begin.",
            "en": "The maintenance must end after it starts.",
        },
        "window_in_the_past": {
            "nl": "Dit onderhoud ligt helemaal in het verleden.",
            "en": "This maintenance lies entirely in the past.",
        },
        "window_too_long": {
            "nl": "Onderhoud duurt hoogstens {maximum_days} dagen; plan een langere periode in "
            "delen.",
            "en": "Maintenance lasts at most {maximum_days} days; schedule a longer period in "
            "parts.",
        },
        "window_already_over": {
            "nl": "Dit onderhoud is al voorbij.",
            "en": "This maintenance is already over.",
        },
        "window_already_cancelled": {
            "nl": "Dit onderhoud is al geannuleerd.",
            "en": "This maintenance has already been cancelled.",
        },
    },
)


class MaintenanceInProgressError(DomainError):
    """Raised by `ensure_no_maintenance`, with the notice already in the caller's language."""

    description = (
        "Maintenance is going on: ordering, top-ups and anonymous purchases are paused until "
        "`endsAt`. Reading, signing in and refunds keep working."
    )
    code_description = "MaintenanceInProgress: ordering is paused for maintenance."
    message_key = "maintenance_in_progress"
    data: ClassVar[dict[str, tuple[type, str]]] = {
        "notice": (str, "What is being done, in the language of the request."),
        "ends_at": (datetime, "When ordering works again (ISO 8601 with offset)."),
    }

    def __init__(self, *, notice: str, ends_at: datetime) -> None:
        super().__init__(notice=notice, ends_at=ends_at)

    def message_params(self, language: str) -> dict[str, object]:
        """The end time as people read it; the typed `endsAt` stays a moment."""
        ends_at: Any = self.params["ends_at"]
        return {"notice": self.params["notice"], "ends_at": format_moment(ends_at, language)}


@dataclass(frozen=True, slots=True)
class WindowView:
    id: int
    starts_at: datetime
    ends_at: datetime
    notice_nl: str
    notice_en: str
    cancelled_at: datetime | None

    def notice(self, language: str) -> str:
        return self.notice_en if language == "en" else self.notice_nl


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    #: The window in progress (the one that ends last, should windows overlap), or None.
    current: WindowView | None
    #: Windows that have not started, soonest first.
    upcoming: list[WindowView]


@dataclass(frozen=True, slots=True)
class ScheduledWindow:
    window: WindowView
    #: Whether it reaches into working hours (working days 08:00-21:00, Amsterdam).
    outside_usual_hours: bool


# ---- reading (one statement each, on the read connection) ----------------------------------

_window = MaintenanceWindow.__table__  # type: ignore[attr-defined]
_standing = _window.c.cancelled_at.is_(None)
_IN_PROGRESS = Read(
    select(_window.c.notice_nl, _window.c.notice_en, _window.c.ends_at)
    .where(
        _standing,
        _window.c.starts_at <= bindparam("now"),
        _window.c.ends_at > bindparam("now"),
    )
    .order_by(_window.c.ends_at.desc(), _window.c.id.desc())
    .limit(1)
)
_COLUMNS = select(
    _window.c.id,
    _window.c.starts_at,
    _window.c.ends_at,
    _window.c.notice_nl,
    _window.c.notice_en,
    _window.c.cancelled_at,
)
_NOT_ENDED = Read(
    _COLUMNS.where(_standing, _window.c.ends_at > bindparam("now"))
    .order_by(_window.c.starts_at, _window.c.id)
    .limit(bindparam("limit"))
)
_ONE = Read(_COLUMNS.where(_window.c.id == bindparam("window_id")))


def _view(row: Any) -> WindowView:
    return WindowView(
        id=row.id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        notice_nl=row.notice_nl,
        notice_en=row.notice_en,
        cancelled_at=row.cancelled_at,
    )


@raises(MaintenanceInProgressError)
async def ensure_no_maintenance(deps: Deps, *, language: str) -> None:
    """Refuse (MaintenanceInProgress) while a window that was not cancelled is in progress.

    For ordering, top-ups and anonymous purchases, before their transaction; `language` is
    the caller's, so the typed `notice` is in it. One statement on the read connection.
    """
    row = await deps.db.reader.first(_IN_PROGRESS, now=deps.clock.now())
    if row is not None:
        notice = row.notice_en if language == "en" else row.notice_nl
        raise MaintenanceInProgressError(notice=notice, ends_at=row.ends_at)


async def current_and_upcoming(deps: Deps, *, now: datetime) -> list[WindowView]:
    """Windows not cancelled that have not ended at `now`, by start (at most STATUS_LIMIT)."""
    rows = await deps.db.reader.all(_NOT_ENDED, now=now, limit=STATUS_LIMIT)
    return [_view(row) for row in rows]


async def service_status(deps: Deps) -> ServiceStatus:
    """What everybody sees: the maintenance now (if any) and the windows ahead."""
    now = deps.clock.now()
    windows = await current_and_upcoming(deps, now=now)
    in_progress = [w for w in windows if w.starts_at <= now]
    return ServiceStatus(
        # The same window ensure_no_maintenance reports.
        current=max(in_progress, key=lambda w: (w.ends_at, w.id)) if in_progress else None,
        upcoming=[w for w in windows if w.starts_at > now],
    )


async def get_window(deps: Deps, *, window_id: int) -> WindowView | None:
    """One window, cancelled or ended ones too (staff read it through node(id))."""
    row = await deps.db.reader.first(_ONE, window_id=window_id)
    return _view(row) if row else None


# ---- the rules -----------------------------------------------------------------------------


def outside_usual_hours(starts_at: datetime, ends_at: datetime) -> bool:
    """Whether the window reaches into working hours: 08:00-21:00 Europe/Amsterdam on a
    working day (Monday to Friday, not a Dutch public holiday)."""
    day, last = local_date(starts_at), local_date(ends_at)
    while day <= last:
        if is_working_day(day):
            opens = datetime.combine(day, WORK_STARTS, AMSTERDAM)
            closes = datetime.combine(day, WORK_ENDS, AMSTERDAM)
            if starts_at < closes and ends_at > opens:
                return True
        day += timedelta(days=1)
    return False


def _moment(problems: Problems, field: str, value: datetime) -> datetime | None:
    """A moment in UTC; one without a time zone is refused rather than guessed, and one
    outside 1900-9000 too (at the ends of the calendar it cannot even be converted)."""
    if value.tzinfo is None or value.utcoffset() is None:
        problems.add(field, "moment_needs_offset")
        return None
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST_MOMENT <= moment < LATEST_MOMENT:
        problems.add(field, "moment_out_of_range")
        return None
    return moment


# ---- staff use cases -----------------------------------------------------------------------


@raises(InvalidInputError)
async def schedule_window(
    deps: Deps,
    *,
    caller: Caller,
    starts_at: datetime,
    ends_at: datetime,
    notice_nl: str,
    notice_en: str,
) -> ScheduledWindow:
    """Staff schedule a maintenance window with its notice in Dutch and English."""
    now = deps.clock.now()
    problems = Problems()
    starts = _moment(problems, "startsAt", starts_at)
    ends = _moment(problems, "endsAt", ends_at)
    if starts is not None and ends is not None:
        if ends <= starts:
            problems.add("endsAt", "window_ends_before_start")
        elif ends - starts > MAX_DURATION:
            problems.add("endsAt", "window_too_long", maximum_days=MAX_DURATION.days)
    if ends is not None and ends <= now:
        problems.add("endsAt", "window_in_the_past")
    nl = text_field(problems, "noticeNl", notice_nl, maximum=NOTICE_MAX_LENGTH)
    en = text_field(problems, "noticeEn", notice_en, maximum=NOTICE_MAX_LENGTH)
    problems.raise_if_any()
    assert starts is not None and ends is not None
    unusual = outside_usual_hours(starts, ends)
    async with deps.db.write() as session:
        window = MaintenanceWindow(
            starts_at=starts,
            ends_at=ends,
            notice_nl=nl,
            notice_en=en,
            created_by_id=caller.account_id,
            created_at=now,
        )
        session.add(window)
        await session.flush()
        await audit.record(
            session,
            caller=caller,
            action="maintenance_window.scheduled",
            subject=f"maintenance_window:{window.id}",
            # The notices are free text: they stay on the window, never in the append-only
            # trail, which only points at it.
            details=f"from {starts.isoformat()} until {ends.isoformat()}; "
            f"outside usual hours: {'yes' if unusual else 'no'}; notices: see the window",
            now=now,
        )
        await session.commit()
        return ScheduledWindow(window=_view(window), outside_usual_hours=unusual)


@raises(NotFoundError, InvalidStateError)
async def cancel_window(deps: Deps, *, caller: Caller, window_id: int) -> WindowView:
    """Staff cancel a window that has not ended; one in progress ends at once."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        window = await session.get(MaintenanceWindow, window_id, with_for_update=True)
        if window is None:
            raise NotFoundError(field_path=("windowId",))
        if window.cancelled_at is not None:
            raise InvalidStateError(
                field_path=("windowId",), message_key="window_already_cancelled"
            )
        if window.ends_at <= now:
            raise InvalidStateError(field_path=("windowId",), message_key="window_already_over")
        in_progress = window.starts_at <= now
        window.cancelled_at = now
        window.cancelled_by_id = caller.account_id
        await audit.record(
            session,
            caller=caller,
            action="maintenance_window.cancelled",
            subject=f"maintenance_window:{window.id}",
            details=f"was from {window.starts_at.isoformat()} until "
            f"{window.ends_at.isoformat()}; in progress: {'yes' if in_progress else 'no'}",
            now=now,
        )
        await session.commit()
        return _view(window)
