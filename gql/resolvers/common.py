"""What every resolver needs: the context, authorization, error mapping and paging."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from gql import i18n
from gql.context import Context
from gql.schema.types.common import (
    Connection,
    Edge,
    ErrorCode,
    FieldProblem,
    InvalidCredentials,
    InvalidInput,
    InvalidState,
    InvalidToken,
    NotFound,
    PageInfo,
)
from gql.services.accounts import format_moment
from gql.services.deps import Caller
from gql.services.errors import (
    DomainError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidStateError,
    InvalidTokenError,
    NotFoundError,
    RateLimitedError,
    UnauthenticatedError,
)

MAX_PAGE = 100
INPUT = strawberry.argument(description="What to do; the input type documents each field.")
FIRST = strawberry.argument(description="How many items, at most 100 (more is an error).")
AFTER = strawberry.argument(description="The endCursor of the previous page.")
T = TypeVar("T")
X = TypeVar("X")


def context(info: Info[Context, None]) -> Context:
    return info.context


def top_level_error(code: str, message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def require_account(info: Info[Context, None]) -> Caller:
    """The signed-in caller, or an UNAUTHENTICATED error."""
    caller = info.context.caller
    if caller.account_id is None:
        raise top_level_error("UNAUTHENTICATED", i18n.text("unauthenticated", caller.language))
    return caller


def require_staff(info: Info[Context, None]) -> Caller:
    """A signed-in staff member (signed in with a second factor), or FORBIDDEN."""
    caller = require_account(info)
    if not caller.is_staff:
        raise top_level_error("FORBIDDEN", i18n.text("forbidden", caller.language))
    return caller


_TYPES: dict[type[DomainError], tuple[type, ErrorCode]] = {
    InvalidCredentialsError: (InvalidCredentials, ErrorCode.INVALID_CREDENTIALS),
    InvalidTokenError: (InvalidToken, ErrorCode.INVALID_TOKEN),
    NotFoundError: (NotFound, ErrorCode.NOT_FOUND),
    InvalidStateError: (InvalidState, ErrorCode.INVALID_STATE),
}


def error_result(exc: DomainError, language: str) -> Any:
    """Map a domain error to its GraphQL error type (or a top-level error) — the one place."""
    if isinstance(exc, UnauthenticatedError):
        raise top_level_error("UNAUTHENTICATED", i18n.text("unauthenticated", language))
    if isinstance(exc, ForbiddenError):
        raise top_level_error("FORBIDDEN", i18n.text("forbidden", language))
    if isinstance(exc, RateLimitedError):
        # People read Amsterdam time; programs read the ISO moment in extensions.
        raise top_level_error(
            "RATE_LIMITED",
            i18n.text(
                "rate_limited", language, retry_after=format_moment(exc.retry_after, language)
            ),
            retryAfter=exc.retry_after.isoformat(),
        )
    if isinstance(exc, InvalidInputError):
        problems = [
            FieldProblem(
                field=list(p.field), message=i18n.text(p.message_key, language, **p.params)
            )
            for p in exc.problems
        ]
        fields = {tuple(p.field) for p in problems}
        return InvalidInput(
            code=ErrorCode.INVALID_INPUT,
            message=problems[0].message
            if len(problems) == 1
            else i18n.text("invalid_input", language),
            field=list(next(iter(fields))) if len(fields) == 1 else None,
            problems=problems,
        )
    for domain_type, (gql_type, code) in _TYPES.items():
        if isinstance(exc, domain_type):
            return gql_type(
                code=code,
                message=i18n.text(exc.message_key, language, **exc.params),
                field=list(exc.field_path) if exc.field_path else None,
            )
    raise exc


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"c:{value}".encode()).decode()


def decode_cursor(cursor: str | None, language: str) -> int | None:
    if cursor is None:
        return None
    try:
        prefix, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix == "c":
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphQLError(i18n.text("cursor_invalid", language), extensions={"field": ["after"]})


def page_size(first: int | None, language: str, default: int = 20) -> int:
    """`first` as asked; above 100 or below 0 is an error, never silently clamped."""
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE:
        raise GraphQLError(
            i18n.text("page_size", language, maximum=MAX_PAGE), extensions={"field": ["first"]}
        )
    return first


@dataclass(frozen=True, slots=True)
class Page:
    """What a client asked of a connection: how many, after which key."""

    limit: int
    after_key: int | None
    after: str | None


def page_args(first: int | None, after: str | None, language: str) -> Page:
    return Page(page_size(first, language), decode_cursor(after, language), after)


def connection(
    items: Sequence[X], page: Page, *, node: Callable[[X], T], key: Callable[[X], int]
) -> Connection[T]:
    """A page of a connection from `limit + 1` items (the extra one says a next page exists)."""
    edges = [Edge(node=node(item), cursor=encode_cursor(key(item))) for item in items[: page.limit]]
    cursors = [e.cursor for e in edges]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(items) > page.limit,
            has_previous_page=page.after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )
