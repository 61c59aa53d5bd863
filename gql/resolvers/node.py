"""node(id): a registry in which each domain registers its Node types with their loader.

A loader gets the context and a primary key and returns the object only when the caller
may see it (the visibility rules of SPEC §2); anything else — another account's object,
an unknown id, a malformed one — is null, the same answer every time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry

from gql.context import Context
from gql.resolvers.common import Inf
from gql.schema.types.common import Node
from gql.schema.types.ids import parse_global_id

Loader = Callable[[Context, int], Awaitable[Node | None]]


@dataclass(frozen=True, slots=True)
class NodeType:
    name: str
    #: The table whose primary key the id carries (the node-walking test reads every row).
    table: Any
    load: Loader


NODE_TYPES: dict[str, NodeType] = {}


def register_node(name: str, *, table: Any, load: Loader) -> None:
    """Make `name` reachable through node(id); `load` applies the visibility check."""
    if name in NODE_TYPES:
        raise ValueError(f"Node type {name} is already registered")
    NODE_TYPES[name] = NodeType(name, table, load)


async def node(
    info: Inf,
    id: Annotated[strawberry.ID, strawberry.argument(description="A global id from any object.")],
) -> Node | None:
    parsed = parse_global_id(id)
    entry = NODE_TYPES.get(parsed[0]) if parsed else None
    if parsed is None or entry is None:
        return None
    return await entry.load(info.context, parsed[1])


@strawberry.type
class Query:
    node: Node | None = strawberry.field(
        resolver=node,
        description="Any object by its global id; null when it does not exist or is not yours.",
    )
