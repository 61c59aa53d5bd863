"""Types of the audit trail: staff actions, read-only."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="One staff action in the audit trail (read-only).")
class AuditEvent:
    actor_id: strawberry.ID = strawberry.field(description="Global id of the staff account.")
    action: str = strawberry.field(description="What was done.")
    subject: str = strawberry.field(description="What it was done to.")
    details: str = strawberry.field(description="Details.")
    at: datetime = strawberry.field(description="When.")
    client_ip: str = strawberry.field(description="From which address.")
    request_id: str = strawberry.field(description="The request id, also in the server log.")
