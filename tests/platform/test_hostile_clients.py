"""Hostile clients, in the style of graphql-cop (issue 13, item 4), over HTTP: each check
fails when its limit is taken away.

Checks kept elsewhere (and not repeated here):
- introspection off in trusted-documents mode: the executor's rule in
  tests/platform/test_contract.py, and its wiring by create_app below;
- field suggestions ("Did you mean ...") hidden in production, kept in development (GraphiQL
  and developers need them): tests/platform/test_http.py
  test_field_suggestions_are_given_in_development_and_hidden_in_production and
  test_in_production_a_variable_error_suggests_no_field_names;
- aliases (15), depth (10) and tokens (2000): tests/platform/test_http.py;
- a mutation over GET is refused with 405: tests/platform/test_http.py.
"""

from __future__ import annotations

import time
from collections import deque
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    is_composite_type,
    is_object_type,
    is_union_type,
)
from starlette.applications import Starlette

from gql.app import create_app
from gql.contract import build_manifest
from gql.schema.execution import MAX_ALIASES
from gql.schema.limits import LIST_SIZE, MAX_COST, MAX_DIRECTIVES, MAX_FIELDS
from gql.schema.root import schema
from gql.settings import Settings
from tests.support.api import make_settings, outbox
from tests.support.factories import PASSWORD, add_account


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """Overrides conftest's: the limits do not depend on the database backend."""
    return make_settings(sqlite_url, tmp_path / "data")


INTROSPECTION = "query I { __schema { queryType { name } } }"
RESET = 'mutation R { requestPasswordReset(input: {accessCode: "%s"}) { __typename } }'
ORDERS = "query Orders($first: Int) { orders(first: $first) { edges { node { id } } } }"


async def post(client: httpx.AsyncClient, body: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json=body)
    assert response.status_code in (200, 400), response.text
    result: dict[str, Any] = response.json()
    return result


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


# -- introspection in trusted-documents mode: the app wires the locked executor ------------------


async def test_an_app_in_trusted_documents_mode_runs_no_introspection(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given
    settings: Settings = make_settings(sqlite_url, tmp_path / "d", trusted_documents_only=True)
    application = create_app(settings)
    [endpoint] = [r.endpoint.__self__ for r in application.routes if r.path == "/graphql"]  # type: ignore[attr-defined]

    # when
    result = await endpoint.executor.execute(INTROSPECTION)

    # then
    assert result.data is None
    assert "introspection has been disabled" in result.errors[0].message


# -- batching -----------------------------------------------------------------------------------


async def test_a_batch_of_operations_in_a_json_array_is_refused_and_none_runs(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await add_account(app)
    batch = [{"query": RESET % code}, {"query": RESET % code}]

    # when
    response = await client.post("/graphql", json=batch)

    # then
    assert response.status_code == 400
    assert "no batching" in response.json()["errors"][0]["message"]
    assert await outbox(app) == []


# -- directive overloading ----------------------------------------------------------------------


async def test_hundreds_of_directives_on_one_field_are_refused_with_one_error(
    client: httpx.AsyncClient,
) -> None:
    # when
    body = await post(client, {"query": "{ __typename" + " @include(if: true)" * 280 + " }"})

    # then
    assert codes(body) == ["TOO_MANY_DIRECTIVES"]
    assert "280" in body["errors"][0]["message"]
    assert "data" not in body


async def test_more_directives_than_the_limit_over_fragments_are_refused_and_the_limit_runs(
    client: httpx.AsyncClient,
) -> None:
    # given: each field once with its own directive, and a fragment spread twice
    def document(count: int) -> str:
        fields = " ".join(f"f{i}: __typename @skip(if: false)" for i in range(count - 2))
        return f"query D {{ {fields} ...F ...F }} fragment F on Query {{ __typename @skip(if: false) }}"

    # when
    at_limit = await post(client, {"query": document(MAX_DIRECTIVES)})
    above = await post(client, {"query": document(MAX_DIRECTIVES + 1)})

    # then
    assert at_limit["data"]["__typename"] == "Query"
    assert codes(above) == ["TOO_MANY_DIRECTIVES"]


# -- circular and exploding fragments -----------------------------------------------------------


async def test_circular_fragments_are_refused(client: httpx.AsyncClient) -> None:
    # when
    body = await post(
        client,
        {
            "query": "query C { ...A } fragment A on Query { __typename ...B } "
            "fragment B on Query { ...A }"
        },
    )

    # then
    assert "data" not in body
    assert any("Cannot spread fragment 'A' within itself" in e["message"] for e in body["errors"])


async def test_a_fragment_bomb_is_refused_at_once(client: httpx.AsyncClient) -> None:
    # given: 40 fragments, each spreading the next twice (2**40 fields when expanded)
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    document = f"query Bomb {{ ...F0 }} {fragments} fragment F40 on Query {{ __typename }}"

    # when
    started = time.perf_counter()
    body = await post(client, {"query": document})

    # then
    assert time.perf_counter() - started < 1
    assert codes(body) == ["TOO_MANY_FIELDS"]


# -- __typename floods --------------------------------------------------------------------------


async def test_typename_floods_are_refused_by_the_body_and_token_limits(
    client: httpx.AsyncClient,
) -> None:
    # when
    huge = await client.post("/graphql", json={"query": "{" + " __typename" * 10_000 + " }"})
    body = await post(client, {"query": "{" + " __typename" * 5_000 + " }"})

    # then
    assert huge.status_code == 413
    assert "data" not in body
    assert "more than 2000 tokens" in body["errors"][0]["message"]


async def test_typenames_within_the_token_limit_are_refused_above_the_field_limit(
    client: httpx.AsyncClient,
) -> None:
    # when
    at_limit = await post(client, {"query": "{" + " __typename" * MAX_FIELDS + " }"})
    above = await post(client, {"query": "{" + " __typename" * 1000 + " }"})

    # then
    assert at_limit["data"] == {"__typename": "Query"}
    assert codes(above) == ["TOO_MANY_FIELDS"]
    assert "1000" in above["errors"][0]["message"]


# -- huge first ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["literal", "variable"])
async def test_a_huge_first_is_refused_before_anything_runs_naming_cost_and_limit(
    client: httpx.AsyncClient, how: str
) -> None:
    # given
    if how == "literal":
        body = {"query": "{ orders(first: 1000000) { edges { node { id } } } }"}
    else:
        body = {"query": ORDERS, "variables": {"first": 1_000_000}}

    # when: anonymous, so running it would answer UNAUTHENTICATED
    result = await post(client, body)

    # then
    [error] = result["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 1_000_000, "limit": MAX_COST}
    assert "1000000" in error["message"] and str(MAX_COST) in error["message"]
    assert "data" not in result


async def test_the_cost_error_is_in_english_when_asked(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql",
        json={"query": ORDERS, "variables": {"first": 9999}},
        headers={"accept-language": "en"},
    )

    # then
    assert response.json()["errors"][0]["message"].startswith("This request may return 9999 items")


# -- GET and CSRF -------------------------------------------------------------------------------


async def test_a_trusted_mutation_by_id_over_get_is_refused_and_signs_nobody_in(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given: the right password, sent the way an <img src> or a link would send it
    code = await add_account(app)
    [log_in] = [k for k, v in build_manifest().items() if "mutation LogIn(" in v]
    variables = f'{{"input": {{"accessCode": "{code}", "password": "{PASSWORD}"}}}}'

    # when
    response = await client.get("/graphql", params={"documentId": log_in, "variables": variables})

    # then
    assert response.status_code == 405
    assert "set-cookie" not in response.headers
    assert not client.cookies


async def test_a_get_naming_the_mutation_of_a_document_with_a_query_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await add_account(app)
    document = "query Q { __typename } " + RESET.replace("mutation R", "mutation M") % code

    # when
    response = await client.get("/graphql", params={"query": document, "operationName": "M"})

    # then
    assert response.status_code == 405
    assert await outbox(app) == []


# -- nesting through every list of the schema ---------------------------------------------------

SAMPLE = {"String": '"2026-01"', "ID": '"x"', "Int": "1", "Boolean": "true"}


def _arguments(field: GraphQLField) -> str | None:
    """Literal values for a field's required arguments (None if one cannot be made up) and
    `first: $n` for every page size."""
    given = []
    for name, arg in field.args.items():
        if isinstance(arg.type, GraphQLNonNull):
            sample = SAMPLE.get(get_named_type(arg.type).name)
            if sample is None:
                return None
            given.append(f"{name}: {sample}")
        elif name == "first":
            given.append("first: $n")
    return f"({', '.join(given)})" if given else ""


def _size(parent: Any, field: GraphQLField, page: int) -> int:
    """How many items the field counts for (0 when it is no list), as the cost rule counts."""
    type_ = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    named = get_named_type(type_)
    if named.name.endswith("Connection") and "first" in field.args:
        return page
    if isinstance(type_, GraphQLList) and is_composite_type(named):
        return 0 if parent.name.endswith("Connection") else LIST_SIZE
    return 0


def _objects(type_: Any) -> list[tuple[str, GraphQLObjectType]]:
    """The object types a selection on `type_` reaches: itself, or a union's members."""
    if is_object_type(type_):
        return [("", type_)]
    if is_union_type(type_):
        return [(f"... on {member.name} ", member) for member in type_.types]
    return []


def _below(type_: Any, multiplier: int, page: int) -> tuple[str, int]:
    """Every field below `type_` that leads to a list, as deep as the schema goes, with the
    items it counts for."""
    parts, cost = ["__typename"], 0
    for prefix, object_type in _objects(type_):
        inner_parts = []
        for name, field in object_type.fields.items():
            arguments = _arguments(field)
            if not _objects(get_named_type(field.type)) or arguments is None:
                continue
            size = _size(object_type, field, page)
            inner, inner_cost = _below(get_named_type(field.type), multiplier * max(size, 1), page)
            if inner_cost == 0 and not size:
                continue
            inner_parts.append(f"{name}{arguments} {inner}")
            cost += inner_cost + multiplier * size
        if inner_parts:
            joined = " ".join(inner_parts)
            parts.append(f"{prefix}{{ {joined} }}" if prefix else joined)
    return "{ " + " ".join(parts) + " }", cost


def every_list_field(page: int) -> dict[str, tuple[str, int]]:
    """name -> (document, cost with every page `page`) per list field reachable from Query:
    the shortest way to it, and everything below it that leads to a list."""
    root = schema._schema.query_type
    found: dict[str, tuple[str, int]] = {}
    queue: deque[tuple[GraphQLObjectType, list[tuple[str, str, int]]]] = deque([(root, [])])
    seen = {root.name}
    while queue:
        type_, path = queue.popleft()
        for name, field in type_.fields.items():
            arguments = _arguments(field)
            if arguments is None:
                continue
            for prefix, named in _objects(get_named_type(field.type)):
                size = _size(type_, field, page)
                step = [*path, (f"{name}{arguments}", prefix, size)]
                if size and not named.name.endswith("Edge"):
                    found[f"{type_.name}.{name}"] = _document(step, named, page)
                if named.name not in seen:
                    seen.add(named.name)
                    queue.append((named, step))
    return found


def _document(path: list[tuple[str, str, int]], leaf: Any, page: int) -> tuple[str, int]:
    multiplier, cost = 1, 0
    for _, _, size in path:
        if size:
            multiplier *= size
            cost += multiplier
    text, inner_cost = _below(leaf, multiplier, page)
    for selection, prefix, _ in reversed(path):
        text = f"{{ {selection} {{ {prefix}{text} }} }}" if prefix else f"{{ {selection} {text} }}"
    declared = "($n: Int)" if "$n" in text else ""
    return f"query Nested{declared} {text}", cost + inner_cost


@cache
def costs(page: int) -> dict[str, int]:
    return {name: cost for name, (_, cost) in every_list_field(page).items()}


LIST_DOCUMENTS = every_list_field(1)


def test_the_generator_reaches_every_list_of_the_schema() -> None:
    # then: lists at the root, in a connection's nodes, in a union member, under staff
    assert {
        "Query.products",
        "Query.orders",
        "AnnualReport.versions",
        "Invoice.lines",
        "BalanceStatement.entries",
        "StaffQuery.bankFiles",
        "BankFile.changes",
        "ServiceStatus.upcoming",
    } <= set(LIST_DOCUMENTS)


@pytest.mark.parametrize("name", sorted(LIST_DOCUMENTS))
async def test_nesting_through_each_list_is_refused_once_its_pages_pass_the_cost_limit(
    client: httpx.AsyncClient, name: str
) -> None:
    # given: the smallest page size at which the document passes the limit
    document = LIST_DOCUMENTS[name][0]
    if costs(MAX_COST + 1)[name] == costs(1)[name]:
        # Only lists of a fixed size: even as many copies as aliases allow stay within it.
        assert costs(1)[name] * (MAX_ALIASES + 1) <= MAX_COST
        body = await post(client, {"query": document, "variables": {"n": 1}})
        assert "data" in body and "QUERY_TOO_COSTLY" not in codes(body)
        return
    low, high = 1, MAX_COST + 1
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if costs(middle)[name] <= MAX_COST else (low, middle)

    # when
    within = await post(client, {"query": document, "variables": {"n": low - 1}})
    above = await post(client, {"query": document, "variables": {"n": low}})

    # then: within, it runs (anonymous: data or UNAUTHENTICATED, a page above 100 an error
    # on `first`, never a cost error); above, it is refused before running, with its cost
    assert "data" in within and "QUERY_TOO_COSTLY" not in codes(within), within
    [error] = above["errors"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": costs(low)[name],
        "limit": MAX_COST,
    }
