"""Running a document: parsed and validated once with every limit, executed by graphql-core.

Strawberry's `Schema.execute` runs its extension machinery on every request (a context
manager per hook, made anew each time); this executor does the same work without it:

- each distinct document is parsed (with the token limit), counted (fields and directives,
  fragments expanded: gql/schema/limits.py) and validated (with the depth, alias and
  one-password-field rules, and no introspection in trusted-documents mode) once, in a
  bounded cache, together with the operation it names and its cost plan;
- before it runs, its cost (the items it can return, `first` of variables filled in) is
  checked against MAX_COST: `Executor.refuse_costly`;
- graphql-core executes it with strawberry's execution context (resolvers, field
  extensions and DataLoaders work as before);
- unexpected errors are masked with a reference that is also logged (never their message).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.pyutils import is_awaitable
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from gql import i18n
from gql.schema.limits import (
    MAX_COST,
    MAX_DIRECTIVES,
    MAX_FIELDS,
    CostPlan,
    cost_plan,
    count_document,
)
from gql.schema.plain_fields import PlainFieldsExecutionContext
from gql.schema.types.errors import BAD_USER_INPUT, top_level_graphql_error
from gql.services.shared.errors import DomainError

log = logging.getLogger("toegang.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
DOCUMENT_CACHE_SIZE = 256

# Fields whose resolver computes an argon2 hash (to check a password or to store one): one
# per document, so aliases cannot multiply the most expensive work a request can ask for.
PASSWORD_FIELDS = frozenset({"logIn", "changePassword", "requestAccessCode", "resetPassword"})
PUBLIC_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED", BAD_USER_INPUT})


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
            self.report_error(GraphQLError(_bilingual("too_many_password_fields"), node))


def _is_variable_error(error: GraphQLError) -> bool:
    """A variable that does not fit its type: the client's mistake, reported before any field ran.

    graphql-core reports it without a path, wrapping the GraphQLError of the offending value;
    an error of a field always has a path, and an exception outside execution is no GraphQLError.
    """
    return error.path is None and isinstance(error.original_error, GraphQLError)


# Made once: the limiters make a new rule class per instance.
LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    OnePasswordFieldRule,
)


class RequestError(Exception):
    """The document cannot run at all (syntax, validation, operation name): no `data`."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


class UnknownOperation(RequestError):
    """No operation of that name (or none at all) in the document."""


#: Root fields anybody may read that say nothing about who asks: a document selecting only
#: these may be answered with `Cache-Control: public` (gql/public_reads.py).
PUBLIC_ROOT_FIELDS = frozenset({"products", "serviceStatus", "__typename"})


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    operation_type: OperationType
    cost: CostPlan
    #: The public root fields the operation reads, when it reads nothing else (else None).
    public_fields: frozenset[str] | None = None


def _bilingual(key: str, **params: object) -> str:
    """Validation runs without the request context: say it in both languages."""
    return " / ".join(i18n.text(key, lang, **params) for lang in ("nl", "en"))


def _public_fields(operation: OperationDefinitionNode) -> frozenset[str] | None:
    """The root fields of a query without directives that selects only public ones."""
    if operation.operation != OperationType.QUERY:
        return None
    names: set[str] = set()
    for sel in operation.selection_set.selections:
        if not isinstance(sel, FieldNode) or sel.directives or sel.alias:
            return None
        names.add(sel.name.value)
    return frozenset(names) if names <= PUBLIC_ROOT_FIELDS else None


class Executor:
    """Runs documents against one schema, with the limits of SPEC §6."""

    def __init__(self, schema: strawberry.Schema, *, introspection: bool = True) -> None:
        self.schema = schema._schema
        # Plain fields are completed directly (gql/schema/plain_fields.py); the rest as before.
        self.executor_class = PlainFieldsExecutionContext
        rules = (*specified_rules, *LIMIT_RULES)
        if not introspection:
            rules = (*rules, NoSchemaIntrospectionCustomRule)
        self.rules = rules
        self._prepare = lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(self._prepare_uncached)

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
        """The parsed, validated document and its operation's type, or a RequestError."""
        prepared = self._prepare(query, operation_name)
        if isinstance(prepared, RequestError):
            raise prepared
        return prepared

    def _prepare_uncached(self, query: str, operation_name: str | None) -> Prepared | RequestError:
        # A refused document is cached as its error too: sending it again costs nothing.
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return RequestError([error])
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is None and len(operations) > 1:
            # GraphQL spec, GetOperation: a request error, not the first operation.
            return RequestError(
                [GraphQLError("Must provide operation name if query contains multiple operations.")]
            )
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide an operation."
            )
            return UnknownOperation([GraphQLError(message)])
        # Before any rule walks the document: counted with fragments expanded, in linear time.
        counts = count_document(document)
        if counts.fields > MAX_FIELDS:
            message = _bilingual("too_many_selections", count=counts.fields, limit=MAX_FIELDS)
            return RequestError([GraphQLError(message, extensions={"code": "TOO_MANY_FIELDS"})])
        if counts.directives > MAX_DIRECTIVES:
            message = _bilingual(
                "too_many_directives", count=counts.directives, limit=MAX_DIRECTIVES
            )
            return RequestError([GraphQLError(message, extensions={"code": "TOO_MANY_DIRECTIVES"})])
        errors = validate(self.schema, document, self.rules)
        if errors:
            return RequestError(list(errors))
        return Prepared(
            document,
            operation.operation,
            cost_plan(self.schema, document, operation),
            _public_fields(operation),
        )

    def refuse_costly(
        self, prepared: Prepared, variables: dict[str, Any] | None, language: str
    ) -> GraphQLError | None:
        """A top-level QUERY_TOO_COSTLY error when the operation can return more than
        MAX_COST items with these variables; checked before anything runs."""
        cost = prepared.cost.cost(variables)
        if cost <= MAX_COST:
            return None
        return GraphQLError(
            i18n.text("query_too_costly", language, cost=cost, limit=MAX_COST),
            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": MAX_COST},
        )

    async def run(
        self,
        prepared: Prepared,
        *,
        context: Any,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        language: str,
        request_id: str,
    ) -> ExecutionResult:
        result = execute(
            self.schema,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            executor_class=self.executor_class,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        )
        if is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.errors:
            result.errors = mask_unexpected(result.errors, language, request_id)
        return result

    async def execute(
        self,
        query: str,
        *,
        context: Any = None,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        allowed: Collection[OperationType] = (OperationType.QUERY, OperationType.MUTATION),
    ) -> ExecutionResult:
        """Prepare and run in one call (tools and tests); a request error comes back as the
        result's errors, without data."""
        try:
            prepared = self.prepare(query, operation_name)
        except RequestError as refused:
            return ExecutionResult(data=None, errors=refused.errors)
        if prepared.operation_type not in allowed:
            return ExecutionResult(data=None, errors=[GraphQLError("Operation not allowed.")])
        if (costly := self.refuse_costly(prepared, variables, "nl")) is not None:
            return ExecutionResult(data=None, errors=[costly])
        return await self.run(
            prepared,
            context=context,
            variables=variables,
            operation_name=operation_name,
            language="nl",
            request_id="",
        )


def mask_unexpected(
    errors: list[GraphQLError], language: str, request_id: str
) -> list[GraphQLError]:
    """Replace unexpected errors by a service-centre message with a reference in the log."""
    masked: list[GraphQLError] = []
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError) and original.top_level:
            # A query resolver's UNAUTHENTICATED / FORBIDDEN / RATE_LIMITED (mutations map
            # theirs in the DomainErrors field extension).
            public = top_level_graphql_error(original, language)
            masked.append(
                GraphQLError(
                    public.message, nodes=error.nodes, path=error.path, extensions=public.extensions
                )
            )
            continue
        code = (error.extensions or {}).get("code")
        if error.original_error is None or code in PUBLIC_CODES or _is_variable_error(error):
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
    return masked
