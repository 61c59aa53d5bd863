"""The one schema, composed from the domain roots."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from gql.resolvers import accounts, node, staff
from gql.schema.extensions import MaskUnexpectedErrors, OnePasswordFieldRule
from gql.schema.types import common

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000

# Made once: QueryDepthLimiter and MaxAliasesLimiter create a new rule class per instance, and
# a new class per request would be a new cache key, so every request would validate again.
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    OnePasswordFieldRule,
)
DOCUMENT_CACHE_SIZE = 256


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _parse(query: str) -> DocumentNode:
    """Parse with the token limit; a refused document raises and is not cached."""
    return parse(query, max_tokens=MAX_TOKENS)


_validate = lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(validate_document)


class PreparedDocuments(SchemaExtension):
    """Each distinct document is parsed and validated once, with every limit.

    What MaxTokensLimiter, ParserCache, QueryDepthLimiter, MaxAliasesLimiter,
    AddValidationRules and ValidationCache do, as one extension: strawberry runs the hooks of
    every extension on every request, so one extension instead of six saves CPU per request.
    """

    rules: tuple[type[ASTValidationRule], ...] = LIMIT_RULES

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = _parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = _validate(
            context.schema._schema,
            context.graphql_document,
            context.validation_rules + self.rules,
        )
        yield


class _NoIntrospection(PreparedDocuments):
    rules = (*LIMIT_RULES, NoSchemaIntrospectionCustomRule)


@strawberry.type(description="Everything that can be read. Lists are Relay connections.")
class Query(accounts.Query, node.Query, staff.Query):
    pass


@strawberry.type(
    description="Everything that changes something. Each mutation takes `input` and answers "
    "a union of its payload and its expected failures (Error)."
)
class Mutation(accounts.Mutation, staff.Mutation):
    pass


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: strawberry would log every error's message, and a variable error
        quotes the variable (a password). Unexpected errors are logged once, with their
        reference, by MaskUnexpectedErrors; every other error is the client's mistake."""


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    """The schema with its limits: depth, aliases, tokens, one password field.

    introspection=False refuses `__schema` and `__type` (trusted-documents mode: the clients
    were built from schema.graphql and nobody needs to explore the API there).
    """
    return _Schema(
        query=Query,
        mutation=Mutation,
        types=[
            common.InvalidInput,
            common.InvalidCredentials,
            common.InvalidToken,
            common.NotFound,
            common.InvalidState,
        ],
        config=StrawberryConfig(auto_camel_case=True),
        # Factories: strawberry builds fresh extensions per request; the caches are shared.
        extensions=[
            PreparedDocuments if introspection else _NoIntrospection,
            MaskUnexpectedErrors,
        ],
    )


schema = build_schema()
