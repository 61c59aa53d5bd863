"""Schema-wide rules: documents parsed and validated once with every limit, at most one
password-checking field, masked unexpected errors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    parse,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

from gql import i18n

log = logging.getLogger("toegang.graphql")

# Fields whose resolver computes an argon2 hash (to check a password or to store one): one
# per document, so aliases cannot multiply the most expensive work a request can ask for.
PASSWORD_FIELDS = frozenset({"logIn", "changePassword", "requestAccessCode", "resetPassword"})
PUBLIC_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"})


def _count(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any], seen: set[str]
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            total += sel.name.value in PASSWORD_FIELDS
            total += _count(sel.selection_set, fragments, seen)
        elif isinstance(sel, InlineFragmentNode):
            total += _count(sel.selection_set, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
            seen.add(sel.name.value)
            frag = fragments.get(sel.name.value)
            total += _count(frag.selection_set if frag else None, fragments, seen)
    return total


class OnePasswordFieldRule(ValidationRule):
    """Refuse a document with more than one password-checking field, before any hash."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = {
            f.name.value: f
            for f in self.context.document.definitions
            if isinstance(f, FragmentDefinitionNode)
        }
        if _count(node.selection_set, fragments, set()) > 1:
            # Validation runs without the request context: say it in both languages.
            message = " / ".join(
                i18n.text("too_many_password_fields", lang) for lang in ("nl", "en")
            )
            self.report_error(GraphQLError(message, node))


def _is_variable_error(error: GraphQLError) -> bool:
    """A variable that does not fit its type: the client's mistake, reported before any field ran.

    graphql-core reports it without a path, wrapping the GraphQLError of the offending value;
    an error of a field always has a path, and an exception outside execution is no GraphQLError.
    """
    return error.path is None and isinstance(error.original_error, GraphQLError)


class MaskUnexpectedErrors(SchemaExtension):
    """Replace unexpected errors by a service-centre message with a reference in the log."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        language = getattr(context, "language", "nl")
        request_id = getattr(getattr(context, "caller", None), "request_id", "")
        masked: list[GraphQLError] = []
        for error in result.errors:
            code = (error.extensions or {}).get("code")
            if (
                error.original_error is None
                or code in PUBLIC_CODES
                or (code is None and error.extensions and "field" in error.extensions)
                or _is_variable_error(error)
            ):
                masked.append(error)
                continue
            reference = uuid.uuid4().hex[:12]
            log.error(
                "unexpected error %s in request %s at %s",
                reference,
                request_id,
                error.path,
                exc_info=error.original_error,
                extra={"reference": reference, "request_id": request_id},
            )
            masked.append(
                GraphQLError(
                    i18n.text("internal", language, reference=reference),
                    nodes=error.nodes,
                    path=error.path,
                    extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference},
                )
            )
        result.errors = masked


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


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


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
            document = _parse(context.query)
            if context.operation_name is None and _operation_count(document) > 1:
                # GraphQL spec, GetOperation: a request error, not the first operation.
                raise GraphQLError(
                    "Must provide operation name if query contains multiple operations."
                )
            context.graphql_document = document
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


class PreparedDocumentsNoIntrospection(PreparedDocuments):
    rules = (*LIMIT_RULES, NoSchemaIntrospectionCustomRule)
