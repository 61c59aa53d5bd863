"""Plain fields completed without graphql-core's per-field machinery.

Most fields of a page are plain attributes: strawberry's default resolver reads them from
the object their parent resolved (already authorized there), and graphql-core then spends
about ten microseconds on each (a path, a resolve info, the resolver call, four type checks,
the leaf coercion): on an orders page of 20 that is most of the request.

This execution context completes such fields directly: for each selection set it makes a
plan once per request (which fields are plain: the default resolver, no arguments, a leaf
type, or an object type whose own selection is all plain, or a list of those) and fills the
response with `getattr` and the leaf's own `coerce_output_value`. Everything else, and any
value the plan does not expect (a null for a non-null field, a value a scalar refuses, an
awaitable, an object of another type), goes through graphql-core as before, so the answer
and its errors are exactly graphql-core's.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Complete = Callable[[Any], Any]


class _Fallback(Exception):
    """A value the plan does not expect: graphql-core completes the field instead."""


_FALLBACK = _Fallback()
_AS_IS: dict[str, type] = {"String": str, "ID": str, "Int": int, "Boolean": bool}
_INT = 2**31  # GraphQL's Int is 32 bits: graphql-core refuses anything outside


def _plain_resolver(field_def: Any) -> str | None:
    """The attribute a field reads, when its resolver is strawberry's default one."""
    if field_def.args or not getattr(field_def.resolve, "_is_default", False):
        return None
    definition = field_def.extensions.get("strawberry-definition")
    return definition.python_name if definition is not None else None


# Plans kept across requests, per operation (the executor caches parsed documents, so the
# same document is the same nodes): (id(operation), type, ids of the field nodes) -> (the
# operation, kept alive so its ids stay its own; the plan). Not for an operation with
# directives: @skip/@include(if: $variable) make the selection depend on the request.
_SHARED: dict[tuple[Any, ...], tuple[Any, list[Any] | None]] = {}
_SHARED_MAX = 4096
_DIRECTIVES: dict[int, tuple[Any, bool]] = {}


def _has_directives(operation: Any, fragments: dict[str, Any]) -> bool:
    cached = _DIRECTIVES.get(id(operation))
    if cached is not None and cached[0] is operation:
        return cached[1]
    found = False

    def visit(node: Any) -> None:
        nonlocal found
        if getattr(node, "directives", None):
            found = True
        selection_set = getattr(node, "selection_set", None)
        for child in selection_set.selections if selection_set else ():
            visit(child)

    visit(operation)
    for fragment in fragments.values():
        visit(fragment)
    if len(_DIRECTIVES) >= _SHARED_MAX:
        _DIRECTIVES.clear()
    _DIRECTIVES[id(operation)] = (operation, found)
    return found


def _checked(complete: Complete) -> Complete:
    """A plain field's completion, with graphql-core taking over for an awaitable value."""

    def check(value: Any) -> Any:
        if optimized_is_awaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise _FALLBACK
        return complete(value)

    return check


def _compiled(steps: list[Any], is_type_of: Any) -> Complete:
    """One function that fills an object whose selection is all plain: per field an
    attribute read and, for a value of the scalar's own type, nothing else; any other value
    goes through the field's full completion (nulls, coercion, nested objects, fallback)."""
    names: dict[str, Any] = {"_FALLBACK": _FALLBACK, "is_type_of": is_type_of}
    lines = ["def fill(value):", "    if value is None:", "        return None"]
    if is_type_of is not None:
        lines += ["    if not is_type_of(value, None):", "        raise _FALLBACK"]
    keys = []
    for i, (key, attribute, complete) in enumerate(steps):
        names[f"K{i}"] = key
        keys.append(f"K{i}: v{i}")
        if attribute == "__typename":
            names[f"v{i}_"] = complete
            lines.append(f"    v{i} = v{i}_")
            continue
        names[f"A{i}"], names[f"C{i}"] = attribute, _checked(complete)
        read = f"value.{attribute}" if attribute.isidentifier() else f"getattr(value, A{i})"
        lines.append(f"    v{i} = {read}")
        same = getattr(complete, "as_is", None)
        if same is None:
            lines.append(f"    v{i} = C{i}(v{i})")
            continue
        names[f"S{i}"] = same
        test = f"v{i}.__class__ is not S{i}"
        if same is int:
            test += f" or not -{_INT} <= v{i} < {_INT}"
        lines.append(f"    if {test}:")
        lines.append(f"        v{i} = C{i}(v{i})")
    lines.append("    return {" + ", ".join(keys) + "}")
    exec("\n".join(lines), names)  # noqa: S102 - code made here from the schema's names
    fill: Complete = names["fill"]
    return fill


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive; its plan or None)
        self._plans: dict[int, tuple[GroupedFieldSet, list[Any] | None]] = {}

    def _shared_plan(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet
    ) -> list[Any] | None:
        """The plan of a selection set, made once per operation when it has no directives."""
        operation = self.operation
        if _has_directives(operation, self.fragments):
            return self._plan(parent_type, grouped)
        key = (id(operation), parent_type.name, *(id(d[0].node) for d in grouped.values()))
        shared = _SHARED.get(key)
        if shared is not None and shared[0] is operation:
            return shared[1]
        plan = self._plan(parent_type, grouped)
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        _SHARED[key] = (operation, plan)
        return plan

    # ---- planning ------------------------------------------------------------------------

    def _plan(self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet) -> list[Any] | None:
        """Per response key: (key, attribute, completer) for a plain field, or (key, None,
        field details) for one graphql-core runs. None when no field is plain."""
        cached = self._plans.get(id(grouped))
        if cached is not None:
            return cached[1]
        steps: list[Any] = []
        plain = 0
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((key, "__typename", parent_type.name))
                plain += 1
                continue
            field_def = parent_type.fields.get(name)
            attribute = _plain_resolver(field_def) if field_def is not None else None
            complete = self._completer(field_def.type, details) if attribute else None
            if complete is None:
                steps.append((key, None, details))
            else:
                steps.append((key, attribute, complete))
                plain += 1
        plan = steps if plain else None
        self._plans[id(grouped)] = (grouped, plan)
        return plan

    def _completer(self, type_: GraphQLOutputType, details: Any) -> Complete | None:
        """How to complete a value of this type with this selection, if all of it is plain."""
        if isinstance(type_, GraphQLNonNull):
            inner = self._completer(type_.of_type, details)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                if value is None:
                    raise _FALLBACK
                return inner(value)

            non_null.as_is = getattr(inner, "as_is", None)  # type: ignore[attr-defined]
            return non_null
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, details)
            if item is None:
                return None

            def each(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, list | tuple):
                    raise _FALLBACK
                return [item(v) for v in value]

            return each
        if is_leaf_type(type_):
            coerce = type_.coerce_output_value  # type: ignore[union-attr]
            # A value of the scalar's own Python type is its output as it is.
            same = _AS_IS.get(type_.name)  # type: ignore[union-attr]

            def leaf(value: Any) -> Any:
                if value.__class__ is same and (same is not int or -_INT <= value < _INT):  # type: ignore[operator]
                    return value
                if value is None:
                    return None
                try:
                    coerced = coerce(value)
                except Exception:
                    raise _FALLBACK from None
                if coerced is None or not isinstance(coerced, str | int | float | bool):
                    raise _FALLBACK
                return coerced

            leaf.as_is = same  # type: ignore[attr-defined]
            return leaf
        if is_object_type(type_):
            assert isinstance(type_, GraphQLObjectType)
            grouped = self.collect_subfields(type_, details)[0]
            plan = self._plan(type_, grouped)
            if plan is None or any(attribute is None for _, attribute, _ in plan):
                return None  # not all plain: graphql-core completes this object
            return _compiled(plan, type_.is_type_of)
        return None  # interfaces and unions: graphql-core resolves the runtime type

    # ---- completing ------------------------------------------------------------------------

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._shared_plan(parent_type, grouped_field_set)
        if plan is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        others: GroupedFieldSet = {}
        for key, attribute, complete in plan:
            if attribute is None:
                others[key] = grouped_field_set[key]
                continue
            if attribute == "__typename":
                results[key] = complete
                continue
            try:
                value = getattr(source_value, attribute)
                if optimized_is_awaitable(value):
                    if inspect.iscoroutine(value):
                        value.close()
                    raise _FALLBACK
                results[key] = complete(value)
            except Exception:
                # graphql-core completes it, with its errors and null propagation.
                others[key] = grouped_field_set[key]
        if not others:
            return results
        rest = super().execute_fields(parent_type, source_value, path, others, position_context)
        if self.is_awaitable(rest):
            return self._merged_later(plan, results, rest)  # type: ignore[arg-type]
        return self._merged(plan, results, rest)  # type: ignore[arg-type]

    @staticmethod
    def _merged(plan: list[Any], plain: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any]:
        """One answer in the document's field order (graphql-core leaves out a field it
        skips, e.g. one not in the schema)."""
        out: dict[str, Any] = {}
        for step in plan:
            key = step[0]
            if key in plain:
                out[key] = plain[key]
            elif key in rest:
                out[key] = rest[key]
        return out

    async def _merged_later(
        self, plan: list[Any], plain: dict[str, Any], rest: Awaitable[dict[str, Any]]
    ) -> dict[str, Any]:
        return self._merged(plan, plain, await rest)
