"""Resolvers of the audit trail: staff read it; nothing in the API changes it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql.models.audit import AuditEvent as AuditEventRow
from gql.resolvers.common import AFTER, FIRST, Inf, connection, page_args, require_staff
from gql.schema.types.audit import AuditEvent
from gql.schema.types.common import Connection
from gql.schema.types.ids import to_global_id
from gql.services.shared import audit


def audit_event_type(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        actor_id=to_global_id("Viewer", row.actor_id),
        action=row.action,
        subject=row.subject,
        details=row.details,
        at=row.at,
        client_ip=row.client_ip,
        request_id=row.request_id,
    )


@strawberry.type
class StaffQuery:
    @strawberry.field(description="The audit trail of staff actions, newest first. Read-only.")
    async def audit_trail(
        self,
        info: Inf,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[AuditEvent]:
        require_staff(info)
        page = page_args(first, after, info.context.language)
        rows = await audit.list_events(
            info.context.deps, before_id=page.after_key, limit=page.limit + 1
        )
        return connection(rows, page, node=audit_event_type, key=lambda r: r.id or 0)
