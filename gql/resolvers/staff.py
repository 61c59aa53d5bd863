"""The `staff` root: the back-office queries of every domain, composed under one field.

Each domain keeps its staff fields in its own resolvers module (a `StaffQuery` class);
this module only composes them, in the order it is given.
"""

# No `from __future__ import annotations`: the types below are local, read at definition.
from typing import Any

import strawberry

from gql.resolvers.common import Inf, require_staff


def staff_root_query(parts: tuple[type, ...]) -> type:
    """A Query mixin with the `staff` field returning the composition of `parts`."""
    staff_query: Any = strawberry.type(
        type("StaffQuery", parts, {}),
        description="Back-office queries; only for signed-in staff.",
    )

    async def staff_resolver(info: Inf) -> staff_query:  # type: ignore[valid-type]
        require_staff(info)
        return staff_query()

    @strawberry.type
    class Query:
        staff: staff_query = strawberry.field(  # type: ignore[valid-type]
            resolver=staff_resolver,
            description="Back-office queries. UNAUTHENTICATED when not signed in, FORBIDDEN "
            "for non-staff.",
        )

    return Query
