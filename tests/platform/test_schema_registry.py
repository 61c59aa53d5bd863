"""The registries behind the schema: error types, result unions, texts and Node types.

Each test reads the registries and the published schema, never a list of its own, so a
new domain is covered without editing this file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLUnionType
from sqlalchemy import select
from starlette.applications import Starlette

from gql import i18n
from gql.demo import DEMO_ACCOUNTS, seed
from gql.resolvers.node import NODE_TYPES
from gql.schema.root import schema
from gql.schema.types.errors import ERROR_TYPES, KEPT_FOR_COMPATIBILITY, RESULT_UNIONS
from gql.schema.types.ids import to_global_id
from gql.services.shared.errors import DomainError
from tests.support.api import gql, http_client
from tests.support.factories import add_account, log_in, staff_client_login

GQL = Path(__file__).resolve().parents[2] / "gql"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


def all_domain_errors() -> set[type[DomainError]]:
    found: set[type[DomainError]] = set()
    pending = list(DomainError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return {cls for cls in found if not cls.top_level}


def graphql_schema():  # type: ignore[no-untyped-def]
    return schema._schema


def test_error_codes_are_exactly_the_error_types_and_every_domain_error_has_one() -> None:
    # given
    gschema = graphql_schema()
    error_code = gschema.type_map["ErrorCode"]
    assert isinstance(error_code, GraphQLEnumType)
    implementing = {
        t.name
        for t in gschema.type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Error" for i in t.interfaces)
    }
    # then: every domain error has its type, and ErrorCode names exactly those types
    assert all_domain_errors() == set(ERROR_TYPES)
    assert implementing == {cls.type_name() for cls in ERROR_TYPES}
    codes = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for name in implementing}
    assert set(error_code.values) == codes


def test_every_result_union_is_what_its_use_case_declares_plus_what_is_kept() -> None:
    # given
    gschema = graphql_schema()
    mutation = gschema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        union = field.type.of_type
        # then: each mutation answers a union built from its use case's declaration
        assert isinstance(union, GraphQLUnionType), name
        built = RESULT_UNIONS[union.name]
        kept = {e for e, _ in KEPT_FOR_COMPATIBILITY.get(union.name, ())}
        declared = set(getattr(built.use_case, "raises", ()))
        assert [t.name for t in union.types] == [
            built.payload.__name__,
            *(ERROR_TYPES[e].__name__ for e in built.errors),
        ], name
        assert set(built.errors) == declared | kept, name
    for union_name, entries in KEPT_FOR_COMPATIBILITY.items():
        declared = set(getattr(RESULT_UNIONS[union_name].use_case, "raises", ()))
        for error, reason in entries:
            # a kept member is one its use case no longer raises, with a reason
            assert error not in declared, (union_name, error)
            assert len(reason) > 20, (union_name, error)


def _source() -> str:
    return "\n".join(p.read_text() for p in GQL.rglob("*.py"))


def test_every_text_is_dutch_and_english_and_named_somewhere_in_the_code() -> None:
    # given: every module imported (the schema imports every domain)
    assert graphql_schema() is not None
    # a key's definition is `"key": {`; any other mention is a use
    source = _source()
    unused = []
    for key, entry in i18n.MESSAGES.items():
        # then
        assert set(entry) == {"nl", "en"}, key
        assert all(entry.values()), key
        uses = len(re.findall(rf'"{key}"(?!: \{{)', source))
        if uses == 0:
            unused.append(key)
    assert unused == []


def _named_keys() -> set[str]:
    """The text keys the code names: message_key, problems.add, Problem and i18n.text."""
    named: set[str] = set()
    for path in GQL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute):
                    callee = f"{getattr(func.value, 'id', '')}.{func.attr}"
                else:
                    callee = getattr(func, "id", "")
                position = {"problems.add": 1, "Problem": 1, "i18n.text": 0}.get(callee)
                if position is not None and len(node.args) > position:
                    arg = node.args[position]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        named.add(arg.value)
                for keyword in node.keywords:
                    if keyword.arg == "message_key" and isinstance(keyword.value, ast.Constant):
                        named.add(keyword.value.value)
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and any(getattr(t, "id", "") == "message_key" for t in node.targets)
            ):
                named.add(node.value.value)
    return named


def test_every_text_the_code_names_exists() -> None:
    # given
    named = _named_keys()
    # then
    assert len(named) > 20
    assert named - set(i18n.MESSAGES) == set()


async def test_every_node_type_is_null_for_other_accounts_and_anonymous_like_an_unknown_id(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given: the demo data (which holds an object of every Node type), a second account,
    # and the callers who may see something: the demo accounts and a staff member
    await seed(app.state.deps)
    stranger_code = await add_account(app, email="vreemde@example.nl", name="Vera Vreemd")
    schema_nodes = {
        t.name
        for t in graphql_schema().type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    }
    assert schema_nodes == set(NODE_TYPES), "every Node type must be registered"
    insiders = []
    for demo in DEMO_ACCOUNTS:
        insider = http_client(app)
        assert (await log_in(insider, demo.access_code, demo.password))["__typename"] == (
            "LogInPayload"
        )
        insiders.append(insider)
    staff = http_client(app)
    await staff_client_login(app, staff)
    insiders.append(staff)
    async with http_client(app, ip="203.0.113.7") as stranger:
        assert (await log_in(stranger, stranger_code))["__typename"] == "LogInPayload"
        own = await gql(stranger, "query { viewer { id sessions { edges { node { id } } } } }")
        stranger_id = own["data"]["viewer"]["id"]
        # The stranger's own objects: the account and its session.
        strangers = {stranger_id} | {
            e["node"]["id"] for e in own["data"]["viewer"]["sessions"]["edges"]
        }
        for name, entry in NODE_TYPES.items():
            async with app.state.deps.db.read() as session:
                keys = list((await session.execute(select(entry.table.id))).scalars())
            assert keys, f"the demo data holds no {name}"
            unknown = await gql(client, NODE, {"id": to_global_id(name, max(keys) + 1000)})
            seen = 0
            for key in keys:
                global_id = to_global_id(name, key)
                # when
                anonymous = await gql(client, NODE, {"id": global_id})
                other = await gql(stranger, NODE, {"id": global_id})
                # then
                assert anonymous == unknown == {"data": {"node": None}}, (name, key)
                if global_id not in strangers:
                    assert other == unknown, (name, key)
                for insider in insiders:
                    seen += (await gql(insider, NODE, {"id": global_id}))["data"][
                        "node"
                    ] is not None
            # the ids are right: somebody who may see the object does
            assert seen > 0, f"nobody sees any {name}"
    for insider in insiders:
        await insider.aclose()
