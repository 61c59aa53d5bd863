"""The one schema, composed from the domain roots."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gql.resolvers import accounts, node, staff
from gql.schema.extensions import MaskUnexpectedErrors, OnePasswordFieldRule
from gql.schema.types import common

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000

Query = merge_types("Query", (accounts.Query, node.Query, staff.Query))
Mutation = merge_types("Mutation", (accounts.Mutation, staff.Mutation))


def build_schema() -> strawberry.Schema:
    """The schema with its limits: depth, aliases, tokens, one password field."""
    return strawberry.Schema(
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
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=256),
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: AddValidationRules([OnePasswordFieldRule]),
            lambda: ValidationCache(maxsize=256),
            MaskUnexpectedErrors,
        ],
    )


schema = build_schema()
