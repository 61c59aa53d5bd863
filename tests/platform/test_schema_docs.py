"""Every type, field, argument and enum value carries a description: GraphiQL is our manual."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from gql.schema.root import schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def undocumented() -> list[str]:
    missing: list[str] = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not gtype.description:
            missing.append(name)
        if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing.extend(
                    f"{name}.{field_name}({arg_name})"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                )
        elif isinstance(gtype, GraphQLInputObjectType):
            missing.extend(
                f"{name}.{field_name}"
                for field_name, field in gtype.fields.items()
                if not field.description
            )
        elif isinstance(gtype, GraphQLEnumType):
            missing.extend(
                f"{name}.{value_name}"
                for value_name, value in gtype.values.items()
                if not value.description
            )
        elif isinstance(gtype, GraphQLUnionType) and not gtype.description:
            missing.append(name)
    return missing


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    assert undocumented() == []


def test_every_mutation_takes_a_required_input_and_answers_its_payload_or_typed_errors() -> None:
    # SPEC §4: x(input: XInput!): XResult!, XResult = XPayload | errors implementing Error
    mutation = schema._schema.mutation_type
    assert mutation is not None
    error = schema._schema.type_map["Error"]
    wrong: list[str] = []
    for name, field in mutation.fields.items():
        base = name[0].upper() + name[1:]
        arg = field.args.get("input")
        if list(field.args) != ["input"] or arg is None or str(arg.type) != f"{base}Input!":
            wrong.append(f"{name}: arguments {list(field.args)}")
        if str(field.type) != f"{base}Result!":
            wrong.append(f"{name}: returns {field.type}")
            continue
        union = schema._schema.type_map[f"{base}Result"]
        assert isinstance(union, GraphQLUnionType)
        members = {t.name for t in union.types}
        errors = {
            t.name
            for t in union.types
            if error in t.interfaces  # type: ignore[attr-defined]
        }
        if members - errors != {f"{base}Payload"}:
            wrong.append(f"{name}: members {sorted(members)}")
    assert wrong == []
