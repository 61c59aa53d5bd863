"""The size limits of a document that graphql-core's own rules do not know (SPEC §6).

Two passes over a parsed document, both linear in its text:

- `count_document`, before any other validation: the fields and the directives of each
  operation with its fragments expanded. Fragments are counted once each and multiplied by
  their spreads, so a "fragment bomb" (F0 spreads F1 twice, F1 spreads F2 twice, ...) is
  refused in microseconds; expanded by a walk, 22 such fragments kept one core busy for a
  minute in strawberry's alias and depth limiters and graphql-core's overlap rule.
- `cost_plan`, after validation: how many items the operation can return, as GitHub counts
  the nodes of a call: each connection's `first` (its default when absent), each plain list
  of objects `LIST_SIZE`, multiplied by the sizes of the lists it is nested in and summed.
  `first` given as a variable is filled in per request (`CostPlan.cost(variables)`): the
  plan is made once per document, the sum per request is a few multiplications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

#: Items one request may return, counted like GitHub's node limit (which is 500,000 with
#: pages of at most 100). Ours allows one full page (100) with a list of LIST_SIZE under
#: each item (100 + 100 x 20 = 2,100) and two such, but not one page of 100 under each item
#: of another (100 + 100 x 100 = 10,100). No operation of the frontend contract comes near
#: (tests/platform/test_operation_costs.py keeps each at most a tenth of it).
MAX_COST = 5000
#: What a plain list of objects (no `first`) is assumed to hold: the default page size.
LIST_SIZE = 20
#: Fields in one operation, fragments expanded as often as they are spread. The largest
#: operation of the frontend contract has under 60; graphql-core's rule that checks that
#: fields of one name can be merged is quadratic in them (490 times `products { code }`
#: took 1.5 s to validate).
MAX_FIELDS = 250
#: Directives in one operation, fragments expanded (graphql-armor's max-directives; its
#: default is 50, Hive's 10). Our operations use none; @include/@skip a few times is fine.
MAX_DIRECTIVES = 10


@dataclass(frozen=True, slots=True)
class Counts:
    fields: int
    directives: int


def count_document(document: DocumentNode) -> Counts:
    """The largest field and directive counts of the document's operations, fragments
    expanded (a fragment in a cycle counts once; NoFragmentCyclesRule refuses it later)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, tuple[int, int]] = {}

    def selections(node: SelectionSetNode | None) -> tuple[int, int]:
        fields = directives = 0
        if node is None:
            return 0, 0
        for sel in node.selections:
            directives += len(sel.directives or ())
            if isinstance(sel, FieldNode):
                f, d = selections(sel.selection_set)
                fields, directives = fields + 1 + f, directives + d
            elif isinstance(sel, InlineFragmentNode):
                f, d = selections(sel.selection_set)
                fields, directives = fields + f, directives + d
            elif isinstance(sel, FragmentSpreadNode):
                f, d = fragment(sel.name.value)
                fields, directives = fields + f, directives + d
        return fields, directives

    def fragment(name: str) -> tuple[int, int]:
        if name in memo:
            return memo[name]
        memo[name] = (0, 0)  # while counting it: a cycle adds nothing
        definition = fragments.get(name)
        if definition is None:
            return 0, 0
        f, d = selections(definition.selection_set)
        memo[name] = (f, d + len(definition.directives or ()))
        return memo[name]

    worst = Counts(0, 0)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            f, d = selections(definition.selection_set)
            d += len(definition.directives or ())
            worst = Counts(max(worst.fields, f), max(worst.directives, d))
    return worst


# -- cost -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A list in the document: `size` items (or the variable `variable`, `size` when it is
    not given), each with the lists under it."""

    size: int
    variable: str | None
    children: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class CostPlan:
    terms: tuple[Term, ...]
    #: The cost when no size depends on a variable (known once per document).
    fixed: int | None

    def cost(self, variables: Mapping[str, Any] | None) -> int:
        """How many items the operation can return with these variables."""
        if self.fixed is not None:
            return self.fixed
        return _sum(self.terms, 1, variables or {})


def _size(term: Term, variables: Mapping[str, Any]) -> int:
    if term.variable is not None and term.variable in variables:
        value = variables[term.variable]
        # A value that is no Int is refused by coercion; null means the default.
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
    return term.size


def _sum(terms: tuple[Term, ...], above: int, variables: Mapping[str, Any]) -> int:
    total = 0
    for term in terms:
        items = above * _size(term, variables)
        total += items + _sum(term.children, items, variables)
    return total


def _is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection")


def cost_plan(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> CostPlan:
    """The lists the (validated) operation can return, nested as in the document."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        value = definition.default_value
        defaults[definition.variable.name.value] = (
            int(value.value) if isinstance(value, IntValueNode) else None
        )
    root = schema.get_root_type(operation.operation)
    assert root is not None

    def walk(node: SelectionSetNode | None, parent: Any, seen: frozenset[str]) -> list[Term]:
        terms: list[Term] = []
        if node is None:
            return terms
        for sel in node.selections:
            if isinstance(sel, InlineFragmentNode):
                inner = (
                    schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                )
                terms += walk(sel.selection_set, inner, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                frag = fragments.get(name)
                if frag is not None and name not in seen:
                    inner = schema.get_type(frag.type_condition.name.value)
                    terms += walk(frag.selection_set, inner, seen | {name})
            elif isinstance(sel, FieldNode):
                terms += field_terms(sel, parent, seen)
        return terms

    def field_terms(sel: FieldNode, parent: Any, seen: frozenset[str]) -> list[Term]:
        fields = getattr(parent, "fields", None)
        definition = fields.get(sel.name.value) if fields else None
        if definition is None:  # __typename, __schema, __type: no items of ours
            return []
        type_ = definition.type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        named = get_named_type(type_)
        children = walk(sel.selection_set, named, seen) if is_composite_type(named) else []
        if _is_connection(named) and "first" in definition.args:
            default = definition.args["first"].default_value
            size = default if isinstance(default, int) else LIST_SIZE
            variable = None
            for argument in sel.arguments or ():
                if argument.name.value != "first":
                    continue
                value = argument.value
                if isinstance(value, IntValueNode):
                    size = int(value.value)
                elif isinstance(value, VariableNode):
                    variable = value.name.value
                    given = defaults.get(variable)
                    size = given if given is not None else size
                elif not isinstance(value, NullValueNode):
                    size = LIST_SIZE
            return [Term(max(size, 0), variable, tuple(children))]
        if (
            isinstance(type_, GraphQLList)
            and is_composite_type(named)
            and not _is_connection(parent)  # a connection's edges: counted by its `first`
        ):
            return [Term(LIST_SIZE, None, tuple(children))]
        return children

    terms = tuple(walk(operation.selection_set, root, frozenset()))

    def has_variable(ts: tuple[Term, ...]) -> bool:
        return any(t.variable is not None or has_variable(t.children) for t in ts)

    plan = CostPlan(terms, None)
    return CostPlan(terms, None if has_variable(terms) else plan.cost(None))
