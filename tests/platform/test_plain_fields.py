"""The plain-fields executor answers exactly as graphql-core does, errors and all.

Each document runs twice on one small schema: with strawberry's own execution context and
with gql.schema.plain_fields; data, errors (message, path) and key order must be the same.
The cases are the ones where a shortcut could go wrong: nulls in non-null fields, values a
scalar refuses, awaitable attributes, objects of another type, mixed plain and resolved
fields, aliases, fragments, @skip/@include, __typename.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from graphql import DocumentNode, execute, parse
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.schema.plain_fields import PlainFieldsExecutionContext
from gql.schema.types.common import Later


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Tag:
    label: str
    weight: int | None = None


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Badge(Named):
    """A plain type with an interface: graphql-core checks the object's type (is_type_of)."""


@strawberry.type
class Thing(Named):
    count: int
    colour: Colour
    when: datetime
    tags: list[Tag]
    maybe_tag: Tag | None
    strict_tag: Tag
    badge: Badge | None = None
    later: str = ""
    note: str | None = None

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def slow(self) -> int:
        await asyncio.sleep(0)
        return self.count * 2

    @strawberry.field
    def nullable_fail(self) -> int | None:
        raise ValueError("boom")


@dataclass
class Impostor:
    label: str = "not a tag"
    name: str = "not a badge"


def _thing(i: int, **changes: Any) -> Thing:
    values: dict[str, Any] = {
        "name": f"thing {i}",
        "count": i,
        "colour": Colour.RED if i % 2 else Colour.BLUE,
        "when": datetime(2026, 11, 30, 12, i, tzinfo=UTC),
        "tags": [Tag(label=f"t{i}", weight=i), Tag(label="x")],
        "maybe_tag": None if i % 2 else Tag(label="m"),
        "strict_tag": Tag(label="s"),
        "badge": Badge(name=f"badge {i}"),
        "later": "",
    }
    values.update(changes)
    return Thing(**values)


async def _later_value() -> str:
    return "loaded later"


ITEMS: list[Any] = []


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return ITEMS

    @strawberry.field
    def named(self) -> list[Named]:
        return ITEMS


schema = strawberry.Schema(query=Query)


def _run(
    document: str | DocumentNode, context_class: type, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    async def go() -> Any:
        result = execute(
            schema._schema,
            parse(document) if isinstance(document, str) else document,
            variable_values=variables,
            executor_class=context_class,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        )
        if optimized_is_awaitable(result):
            result = await result  # type: ignore[misc]
        return result

    result = asyncio.run(go())
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
    return {"data": result.data, "errors": errors}


FIELDS = (
    "__typename name count colour when note later shout slow "
    "tags { label weight __typename } maybe_tag: maybeTag { label } "
    "strictTag { label weight } badge { name __typename }"
)
DOCUMENTS = {
    "plain and resolved": f"{{ things {{ {FIELDS} }} }}",
    "aliases and order": "{ things { b: count a: name count shout z: __typename } }",
    "fragments": "{ things { ...F ... on Thing { colour } } } fragment F on Thing { name tags { label } }",
    "skip include": "{ things { name @skip(if: true) count @include(if: false) colour } }",
    "interface": "{ named { name ... on Thing { count tags { label } } } }",
    "nullable failing resolver": "{ things { name nullableFail } }",
}
CASES = {
    "ordinary": [_thing(i) for i in range(4)],
    "null in a non-null leaf": [_thing(1), _thing(2, name=None)],
    "null in a non-null object": [_thing(1, strict_tag=None)],
    "scalar refuses": [_thing(1, count="many"), _thing(2, count=2**31)],
    "int limits": [
        _thing(1, count=-(2**31)),
        _thing(2, count=2**31 - 1),
        _thing(3, count=-(2**31) - 1),
    ],
    "int limits in a plain object": [
        _thing(1, tags=[Tag(label="a", weight=2**31), Tag(label="b", weight=-(2**31))]),
        _thing(2, tags=[Tag(label="c", weight=2**31 - 1), Tag(label="d", weight=True)]),
    ],
    "string from an int": [_thing(1, name=12)],
    "enum refuses": [_thing(1, colour="green")],
    "awaitable attribute": [_thing(1, later=Later(_later_value))],
    "object of another type": [
        _thing(1, strict_tag=Impostor(), maybe_tag=Impostor(), badge=Impostor())
    ],
    "list of another kind": [_thing(1, tags="abc")],
    "nested null in a list": [_thing(1, tags=[Tag(label=None)])],  # type: ignore[arg-type]
    "empty": [],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_same_answer_as_graphql_core(case: str, document: str) -> None:
    ITEMS[:] = CASES[case]
    expected = _run(DOCUMENTS[document], StrawberryGraphQLCoreExecutionContext)
    actual = _run(DOCUMENTS[document], PlainFieldsExecutionContext)
    assert actual == expected
    # Key order is part of the answer (the response follows the document).
    assert repr(actual["data"]) == repr(expected["data"])


def test_plain_fields_skip_graphql_core() -> None:
    """The shortcut is taken: graphql-core's execute_field runs only for resolved fields."""
    ITEMS[:] = CASES["ordinary"]
    calls: list[str] = []

    class Counting(PlainFieldsExecutionContext):
        def execute_field(self, parent_type: Any, source: Any, details: Any, *rest: Any) -> Any:
            calls.append(f"{parent_type.name}.{details[0].node.name.value}")
            return super().execute_field(parent_type, source, details, *rest)

    _run("{ things { name count colour when tags { label weight } shout } }", Counting)
    assert sorted(set(calls)) == ["Query.things", "Thing.shout"]


def test_one_document_many_requests() -> None:
    """Plans are kept per document across requests: other data, other variables, same answers."""
    plain = parse(f"{{ things {{ {FIELDS} }} }}")
    variable = parse(
        "query Q($on: Boolean!) { things { name count tags { label @include(if: $on) weight } } }"
    )
    for case in ("ordinary", "null in a non-null leaf", "awaitable attribute", "ordinary"):
        ITEMS[:] = CASES[case]
        expected = _run(plain, StrawberryGraphQLCoreExecutionContext)
        assert _run(plain, PlainFieldsExecutionContext) == expected
        for on in (True, False, True):
            expected = _run(variable, StrawberryGraphQLCoreExecutionContext, {"on": on})
            assert _run(variable, PlainFieldsExecutionContext, {"on": on}) == expected
