"""Shared GraphQL types: the Error interface, input problems, Node and connections."""

from __future__ import annotations

import base64
from enum import Enum
from typing import Generic, TypeVar

import strawberry

T = TypeVar("T")


@strawberry.enum(description="The kind of an expected failure: the error type's name.")
class ErrorCode(Enum):
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="InvalidInput: the input breaks rules (see problems)."
    )
    INVALID_CREDENTIALS = strawberry.enum_value(
        "INVALID_CREDENTIALS", description="InvalidCredentials: sign-in details are wrong."
    )
    INVALID_TOKEN = strawberry.enum_value(
        "INVALID_TOKEN", description="InvalidToken: the link is unknown, used or expired."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="NotFound: no such object, or not yours."
    )
    INVALID_STATE = strawberry.enum_value(
        "INVALID_STATE", description="InvalidState: the object does not allow this now."
    )


@strawberry.interface(
    description="An expected failure of a mutation. Handle every kind with one fragment on "
    "Error, and specific kinds with their own fields."
)
class Error:
    code: ErrorCode = strawberry.field(description="The kind of failure (the type's name).")
    message: str = strawberry.field(description="What went wrong, for people to read.")
    field: list[str] | None = strawberry.field(
        description="Path inside `input` of the field at fault; null when no single field is."
    )


@strawberry.type(description="One problem with one input field.")
class FieldProblem:
    field: list[str] = strawberry.field(description='Path inside `input`, e.g. ["password"].')
    message: str = strawberry.field(description="What is wrong with it, for people to read.")


@strawberry.type(description="The input breaks one or more rules; every problem is listed.")
class InvalidInput(Error):
    problems: list[FieldProblem] = strawberry.field(description="Every problem found.")


@strawberry.type(
    description="The access code, password or verification code is wrong. Deliberately "
    "does not say which, nor whether the access code exists."
)
class InvalidCredentials(Error):
    pass


@strawberry.type(description="The link or token is unknown, already used or expired.")
class InvalidToken(Error):
    pass


@strawberry.type(description="The object does not exist or is not yours.")
class NotFound(Error):
    pass


@strawberry.type(description="The object is not in a state that allows this.")
class InvalidState(Error):
    pass


@strawberry.interface(description="An object with a globally unique id, fetchable with node(id).")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique, opaque id.")


def to_global_id(type_name: str, pk: int | str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str] | None:
    try:
        type_name, _, pk = base64.urlsafe_b64decode(global_id.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (type_name, pk) if type_name and pk else None


@strawberry.type(description="Where a page of a connection starts and ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass as `after`."
    )


@strawberry.type(description="One item of a connection with its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque position of this item.")


@strawberry.type(description="A page of items (Relay connection); `first` is at most 100.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
