"""The one schema, composed from the domain roots.

Every module of gql.resolvers may hold a `Query`, a `Mutation` and a `StaffQuery`; they
are composed here in the modules' name order (the `staff` field last), so a new domain is
a new module, not an edit of this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

import gql.resolvers
from gql.resolvers.staff import staff_root_query
from gql.schema.execution import Executor
from gql.schema.types.errors import error_types

_SHARED = {"common", "staff"}
DOMAINS: list[ModuleType] = [
    importlib.import_module(f"gql.resolvers.{m.name}")
    for m in sorted(pkgutil.iter_modules(gql.resolvers.__path__), key=lambda m: m.name)
    if m.name not in _SHARED
]


def _parts(name: str) -> tuple[type, ...]:
    return tuple(getattr(module, name) for module in DOMAINS if hasattr(module, name))


@strawberry.type(description="Everything that can be read. Lists are Relay connections.")
class Query(*_parts("Query"), staff_root_query(_parts("StaffQuery"))):  # type: ignore[misc]
    pass


@strawberry.type(
    description="Everything that changes something. Each mutation takes `input` and answers "
    "a union of its payload and its expected failures (Error)."
)
class Mutation(*_parts("Mutation")):  # type: ignore[misc]
    pass


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: strawberry would log every error's message, and a variable error
        quotes the variable (a password). Unexpected errors are logged once, with their
        reference, by the executor; every other error is the client's mistake."""


def build_schema() -> strawberry.Schema:
    """The schema. Its limits (depth, aliases, tokens, one password field) and the masking of
    unexpected errors are the executor's (gql/schema/execution.py)."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        types=error_types(),
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()


def executor(*, introspection: bool = True) -> Executor:
    """What runs documents against the schema. introspection=False refuses `__schema` and
    `__type` (trusted-documents mode: the clients were built from schema.graphql)."""
    return Executor(schema, introspection=introspection)
