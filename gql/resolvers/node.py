"""node(id): every object is checked against the caller; others' objects are never returned."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.resolvers.accounts import viewer_from_row
from gql.resolvers.staff import request_type
from gql.schema.types.common import Node, from_global_id
from gql.services import accounts, staff

Inf = Info[Context, None]


async def node(
    info: Inf,
    id: Annotated[strawberry.ID, strawberry.argument(description="A global id from any object.")],
) -> Node | None:
    decoded = from_global_id(id)
    if decoded is None or not decoded[1].isdigit():
        return None
    type_name, pk = decoded[0], int(decoded[1])
    ctx = info.context
    caller = ctx.caller
    if type_name == "Viewer" and caller.account_id == pk:
        row = await accounts.get_account(ctx.deps, account_id=pk)
        return viewer_from_row(row, ctx) if row else None
    if type_name == "AccessCodeRequest" and caller.is_staff:
        view = await staff.get_request(ctx.deps, request_id=pk)
        return request_type(view) if view else None
    return None


@strawberry.type
class Query:
    node: Node | None = strawberry.field(
        resolver=node,
        description="Any object by its global id; null when it does not exist or is not yours.",
    )
