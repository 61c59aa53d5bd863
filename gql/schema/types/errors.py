"""The Error interface and every error type, derived from the domain errors of the services.

A domain error class (gql.services, see gql/services/shared/errors.py) becomes:
- a GraphQL type named after it (`NotFoundError` -> `NotFound`) implementing `Error`, with a
  field for each of its `data` entries;
- a value of `ErrorCode` (`NOT_FOUND`);
- a member of the result union of every use case that declares it with `@raises`.

`error_result` is the one mapper from a raised domain error to what a mutation answers.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Union

import strawberry
from graphql import GraphQLError

import gql.services
from gql import i18n
from gql.services.shared.errors import (
    DomainError,
    InvalidInputError,
    RateLimitedError,
    declared_errors,
    expected_errors,
)
from gql.services.shared.formatting import format_moment

# Every domain error must exist before ErrorCode is made: import every service module.
for _module in pkgutil.walk_packages(gql.services.__path__, "gql.services."):
    importlib.import_module(_module.name)

ERRORS: list[type[DomainError]] = expected_errors()

ErrorCode = strawberry.enum(  # type: ignore[call-overload]
    Enum(  # type: ignore[misc]
        "ErrorCode",
        {
            cls.code(): strawberry.enum_value(cls.code(), description=cls.code_description)
            for cls in ERRORS
        },
    ),
    description="The kind of an expected failure: the error type's name.",
)


@strawberry.interface(
    description="An expected failure of a mutation. Handle every kind with one fragment on "
    "Error, and specific kinds with their own fields."
)
class Error:
    code: ErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="The kind of failure (the type's name)."
    )
    message: str = strawberry.field(description="What went wrong, for people to read.")
    field: list[str] | None = strawberry.field(
        description="Path inside `input` of the field at fault; null when no single field is."
    )


@strawberry.type(description="One problem with one input field.")
class FieldProblem:
    field: list[str] = strawberry.field(description='Path inside `input`, e.g. ["password"].')
    message: str = strawberry.field(description="What is wrong with it, for people to read.")


@strawberry.type(description=InvalidInputError.description)
class InvalidInput(Error):
    problems: list[FieldProblem] = strawberry.field(description="Every problem found.")


def _derive(error: type[DomainError]) -> type:
    """The GraphQL type of a domain error: Error's fields and one per `data` entry."""
    namespace: dict[str, Any] = {
        "__annotations__": {name: kind for name, (kind, _) in error.data.items()},
        "__module__": __name__,
    }
    for name, (_, description) in error.data.items():
        namespace[name] = strawberry.field(description=description)
    cls = type(error.type_name(), (Error,), namespace)
    return strawberry.type(cls, description=error.description)


ERROR_TYPES: dict[type[DomainError], type] = {
    error: InvalidInput if error is InvalidInputError else _derive(error) for error in ERRORS
}


def error_types() -> list[type]:
    """Every error type, for the schema's `types` (also those no union lists yet)."""
    return list(ERROR_TYPES.values())


# ---- result unions -------------------------------------------------------------------------

#: Union members kept although no use case raises them any more: a union member is never
#: removed (clients may match on it). Each with its reason.
KEPT_FOR_COMPATIBILITY: dict[str, tuple[tuple[type[DomainError], str], ...]] = {
    "LogOutResult": (
        (InvalidInputError, "published in the first release; logOut has no input to refuse"),
    ),
    "ConfirmNewAccessCodeResult": (
        (InvalidInputError, "published in the first release; a bad token is InvalidToken"),
    ),
    "StaffApproveAccessCodeRequestResult": (
        (InvalidInputError, "published in the first release; approving takes only an id"),
    ),
}


@dataclass(frozen=True, slots=True)
class ResultUnion:
    """What a mutation's result union was built from (read by the registry test)."""

    name: str
    payload: type
    use_case: Callable[..., Any]
    errors: tuple[type[DomainError], ...]


RESULT_UNIONS: dict[str, ResultUnion] = {}


def result_union(mutation: str, payload: type, use_case: Callable[..., Any]) -> Any:
    """`<Mutation>Result`: the payload, the errors `use_case` declares, then those kept."""
    name = mutation[0].upper() + mutation[1:] + "Result"
    errors = declared_errors(use_case)
    errors += tuple(e for e, _ in KEPT_FOR_COMPATIBILITY.get(name, ()) if e not in errors)
    if not errors:
        raise TypeError(f"{name}: {use_case.__qualname__} declares no errors")
    RESULT_UNIONS[name] = ResultUnion(name, payload, use_case, errors)
    members = (payload, *(ERROR_TYPES[e] for e in errors))
    return Annotated[
        Union[members],  # type: ignore[valid-type]  # noqa: UP007
        strawberry.union(
            name,
            description=f"What `{mutation}` answers: {payload.__name__} on success, otherwise "
            "one of the expected failures, each implementing Error.",
        ),
    ]


# ---- the mapper ----------------------------------------------------------------------------


#: The code of a wrong argument of a read (a page size, a cursor): top-level, with `field`.
BAD_USER_INPUT = "BAD_USER_INPUT"


def top_level_error(code: str, message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def top_level_graphql_error(exc: DomainError, language: str) -> GraphQLError:
    """UNAUTHENTICATED, FORBIDDEN or RATE_LIMITED, in the language of the request."""
    code = type(exc).code()
    if isinstance(exc, RateLimitedError):
        # People read Amsterdam time; programs read the ISO moment in extensions.
        moment = format_moment(exc.retry_after, language)
        return top_level_error(
            code,
            i18n.text(exc.key, language, retry_after=moment),
            retryAfter=exc.retry_after.isoformat(),
        )
    return top_level_error(code, i18n.text(exc.key, language))


def error_result(exc: DomainError, language: str) -> Any:
    """What a mutation answers for a raised domain error: its typed error, or a top-level
    GraphQL error (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED) raised in its place."""
    if exc.top_level:
        raise top_level_graphql_error(exc, language)
    error_code = ErrorCode[type(exc).code()]  # type: ignore[misc]
    if isinstance(exc, InvalidInputError):
        problems = [
            FieldProblem(
                field=list(p.field), message=i18n.text(p.message_key, language, **p.params)
            )
            for p in exc.problems
        ]
        fields = {tuple(p.field) for p in problems}
        return InvalidInput(
            code=error_code,
            message=problems[0].message if len(problems) == 1 else i18n.text(exc.key, language),
            field=list(next(iter(fields))) if len(fields) == 1 else None,
            problems=problems,
        )
    return ERROR_TYPES[type(exc)](
        code=error_code,
        message=i18n.text(exc.key, language, **exc.message_params(language)),
        field=list(exc.field_path) if exc.field_path else None,
        **{name: exc.params[name] for name in exc.data},
    )
