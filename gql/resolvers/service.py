"""Resolvers of the service domain: everybody reads the service status; staff schedule and
cancel maintenance."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql.context import Context
from gql.models.service import MaintenanceWindow as MaintenanceWindowRow
from gql.resolvers.common import INPUT, Inf, mutation, require_staff
from gql.resolvers.node import register_node
from gql.schema.types import service as t
from gql.schema.types.ids import key_of, to_global_id
from gql.services import service


def window_type(view: service.WindowView, language: str) -> t.MaintenanceWindow:
    return t.MaintenanceWindow(
        id=to_global_id("MaintenanceWindow", view.id),
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        notice=view.notice(language),
        cancelled_at=view.cancelled_at,
    )


async def service_status(info: Inf) -> t.ServiceStatus:
    language = info.context.language
    status = await service.service_status(info.context.deps)
    return t.ServiceStatus(
        available=status.current is None,
        current=window_type(status.current, language) if status.current else None,
        upcoming=[window_type(w, language) for w in status.upcoming],
    )


async def staff_schedule_maintenance(
    info: Inf, input: Annotated[t.StaffScheduleMaintenanceInput, INPUT]
) -> t.StaffScheduleMaintenanceResult:
    scheduled = await service.schedule_window(
        info.context.deps,
        caller=require_staff(info),
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        notice_nl=input.notice_nl,
        notice_en=input.notice_en,
    )
    return t.StaffScheduleMaintenancePayload(
        window=window_type(scheduled.window, info.context.language),
        outside_usual_hours=scheduled.outside_usual_hours,
    )


async def staff_cancel_maintenance(
    info: Inf, input: Annotated[t.StaffCancelMaintenanceInput, INPUT]
) -> t.StaffCancelMaintenanceResult:
    view = await service.cancel_window(
        info.context.deps,
        caller=require_staff(info),
        window_id=key_of(input.window_id, "MaintenanceWindow"),
    )
    return t.StaffCancelMaintenancePayload(window=window_type(view, info.context.language))


async def _load_window(ctx: Context, pk: int) -> t.MaintenanceWindow | None:
    """Only for staff, who also see cancelled and ended windows. Everybody else reads the
    windows that matter through serviceStatus; node(id) answers them as for any id that is
    not theirs."""
    if not ctx.caller.is_staff:
        return None
    view = await service.get_window(ctx.deps, window_id=pk)
    return window_type(view, ctx.language) if view else None


register_node("MaintenanceWindow", table=MaintenanceWindowRow, load=_load_window)


@strawberry.type
class Query:
    service_status: t.ServiceStatus = strawberry.field(
        resolver=service_status,
        description="Whether ordering works now, and the maintenance notices to show: the "
        "current window and those planned. No sign-in needed.",
    )


@strawberry.type
class Mutation:
    staff_schedule_maintenance: t.StaffScheduleMaintenanceResult = mutation(
        staff_schedule_maintenance,
        description="Staff: schedule a maintenance window; while it lasts, ordering, top-ups "
        "and anonymous purchases are refused with MaintenanceInProgress.",
    )
    staff_cancel_maintenance: t.StaffCancelMaintenanceResult = mutation(
        staff_cancel_maintenance,
        description="Staff: cancel a maintenance window that has not ended; one in progress "
        "ends at once.",
    )
