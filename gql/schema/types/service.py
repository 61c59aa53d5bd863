"""Types of the service domain: the service status and maintenance windows."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.services import service


@strawberry.type(
    description="A period of maintenance. While it lasts, ordering, top-ups and anonymous "
    "purchases are refused with MaintenanceInProgress; reading, signing in and refunds go on."
)
class MaintenanceWindow(Node):
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends: ordering works again.")
    notice: str = strawberry.field(
        description="What is being done, for people to read, in the language of the request."
    )
    cancelled_at: datetime | None = strawberry.field(
        description="When staff cancelled it; null while it stands. serviceStatus never "
        "lists a cancelled window."
    )


@strawberry.type(
    description="Whether ordering works now, and the maintenance going on and planned, so a "
    "client shows the notice before anybody tries to order."
)
class ServiceStatus:
    available: bool = strawberry.field(
        description="Whether ordering, top-ups and anonymous purchases work now (false during "
        "maintenance)."
    )
    current: MaintenanceWindow | None = strawberry.field(
        description="The maintenance going on now; null when there is none."
    )
    upcoming: list[MaintenanceWindow] = strawberry.field(
        description=f"Maintenance planned ahead, soonest first (at most {service.STATUS_LIMIT})."
    )


@strawberry.input(description="Schedule a maintenance window with its notice.")
class StaffScheduleMaintenanceInput:
    starts_at: datetime = strawberry.field(
        description="When it starts, with its offset (2026-12-05T22:00:00+01:00). May lie in "
        "the past, for maintenance that has already begun."
    )
    ends_at: datetime = strawberry.field(
        description="When it ends, with its offset: after the start, not in the past, at most "
        f"{service.MAX_DURATION.days} days after the start."
    )
    notice_nl: str = strawberry.field(
        description="The notice in Dutch, at most 500 characters (plain text)."
    )
    notice_en: str = strawberry.field(
        description="The notice in English, at most 500 characters (plain text)."
    )


@strawberry.type(description="Scheduled: serviceStatus shows the window from now on.")
class StaffScheduleMaintenancePayload:
    window: MaintenanceWindow = strawberry.field(description="The window as scheduled.")
    outside_usual_hours: bool = strawberry.field(
        description="Whether it reaches into working hours (08:00-21:00 Europe/Amsterdam on a "
        "working day, Dutch public holidays excepted). Allowed, as unplanned maintenance "
        "happens, but customers do not expect it then."
    )


StaffScheduleMaintenanceResult = result_union(
    "staffScheduleMaintenance", StaffScheduleMaintenancePayload, service.schedule_window
)


@strawberry.input(description="Cancel a maintenance window that has not ended.")
class StaffCancelMaintenanceInput:
    window_id: strawberry.ID = strawberry.field(description="Global id of the window.")


@strawberry.type(
    description="Cancelled: the window blocks nothing any more and serviceStatus no longer "
    "shows it."
)
class StaffCancelMaintenancePayload:
    window: MaintenanceWindow = strawberry.field(description="The window, now with cancelledAt.")


StaffCancelMaintenanceResult = result_union(
    "staffCancelMaintenance", StaffCancelMaintenancePayload, service.cancel_window
)
