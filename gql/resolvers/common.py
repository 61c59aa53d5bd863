"""What every resolver needs: who asks, the mutation wrapper, paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from gql import i18n
from gql.context import Context
from gql.files.access import download_path, signed_link
from gql.schema.types.common import Connection, Edge, PageInfo
from gql.schema.types.errors import BAD_USER_INPUT, ERROR_TYPES, error_result, top_level_error
from gql.schema.types.ids import decode_cursor, encode_cursor
from gql.services.shared.deps import Caller
from gql.services.shared.errors import DomainError

MAX_PAGE = 100
INPUT = strawberry.argument(description="What to do; the input type documents each field.")
FIRST = strawberry.argument(description="How many items, at most 100 (more is an error).")
AFTER = strawberry.argument(description="The endCursor of the previous page.")
Inf = Info[Context, None]
T = TypeVar("T")
X = TypeVar("X")


def require_account(info: Inf) -> Caller:
    """The signed-in caller, or an UNAUTHENTICATED error."""
    caller = info.context.caller
    if caller.account_id is None:
        raise top_level_error("UNAUTHENTICATED", i18n.text("unauthenticated", caller.language))
    return caller


def require_staff(info: Inf) -> Caller:
    """A signed-in staff member (signed in with a second factor), or FORBIDDEN."""
    caller = require_account(info)
    if not caller.is_staff:
        raise top_level_error("FORBIDDEN", i18n.text("forbidden", caller.language))
    return caller


class DomainErrors(FieldExtension):
    """Maps a domain error raised by a mutation's resolver to its answer: once, here."""

    async def resolve_async(self, next_: Any, source: Any, info: Inf, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as exc:
            if not exc.top_level and type(exc) not in ERROR_TYPES:
                raise TypeError(f"{type(exc).__name__} has no GraphQL error type") from exc
            return error_result(exc, info.context.language)


def mutation(resolver: Callable[..., Any], *, description: str) -> Any:
    """A mutation field whose expected failures come back as its union's error types."""
    return strawberry.mutation(
        resolver=resolver, description=description, extensions=[DomainErrors()]
    )


def _fields(selections: list[Selection]) -> list[Any]:
    """The fields of a selection set, fragments spread in place."""
    out: list[Any] = []
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            out.extend(_fields(selection.selections))
        else:
            out.append(selection)
    return out


def selected_below(info: Inf, *path: str) -> frozenset[str]:
    """The names of the fields the query selects at `path` below this field, through
    fragments and whatever their aliases (a field under @skip or @include counts as
    selected): what a list's resolver reads ahead for its items."""
    level = _fields([s for f in _fields(info.selected_fields) for s in f.selections])
    for name in path:
        level = _fields([s for f in level if f.name == name for s in f.selections])
    return frozenset(f.name for f in level)


# ---- paging --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """What a client asked of a connection: how many, after which key."""

    limit: int
    after_key: int | None
    after: str | None


def page_args(first: int | None, after: str | None, language: str, default: int = 20) -> Page:
    """`first` as asked (above 100 or below 0 is an error, never silently clamped).

    A wrong argument of a read is a top-level error with code BAD_USER_INPUT (as Apollo names
    it) and the argument in `field`: a client can tell it from a failure by its code alone.
    """
    limit = default if first is None else first
    if limit < 0:
        raise GraphQLError(
            i18n.text("page_size_negative", language),
            extensions={"code": BAD_USER_INPUT, "field": ["first"]},
        )
    if limit > MAX_PAGE:
        raise GraphQLError(
            i18n.text("page_size", language, maximum=MAX_PAGE),
            extensions={"code": BAD_USER_INPUT, "field": ["first"]},
        )
    after_key = None
    if after is not None:
        after_key = decode_cursor(after)
        if after_key is None:
            raise GraphQLError(
                i18n.text("cursor_invalid", language),
                extensions={"code": BAD_USER_INPUT, "field": ["after"]},
            )
    return Page(limit, after_key, after)


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


def download_link(ctx: Context, file_id: int) -> tuple[str, datetime | None]:
    """Where a stored file downloads: the plain route for a browser that sends its session
    cookie; for a bearer-token client a link signed for it, with when it stops working."""
    if ctx.caller.bearer and ctx.caller.account_id is not None:
        return signed_link(
            ctx.deps.settings,
            file_id=file_id,
            account_id=ctx.caller.account_id,
            now=ctx.deps.clock.now(),
        )
    return ctx.deps.settings.public_url + download_path(file_id), None
