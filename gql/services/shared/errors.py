"""Domain errors: raised by services, each knowing its code, text and typed data.

A new expected failure is one class in its domain's module:

    class InsufficientBalanceError(DomainError):
        description = "The available balance is too low for this."
        code_description = "InsufficientBalance: the balance is too low."
        message_key = "insufficient_balance"
        data = {"available_cents": (int, "What can be spent now, in cents.")}

The GraphQL type (`InsufficientBalance`, implementing `Error`, with an `availableCents`
field), its `ErrorCode` value (`INSUFFICIENT_BALANCE`) and its place in the result unions
are derived from it (gql/schema/types/errors.py). A use case declares what it raises with
`@raises(...)`; the union of its mutation is built from that declaration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from gql.services.shared import texts  # noqa: F401  (the texts of the errors below)

F = TypeVar("F", bound=Callable[..., Any])


class DomainError(Exception):
    """An expected failure of a use case."""

    #: The GraphQL type's description; the type is named after the class without "Error".
    description: ClassVar[str] = ""
    #: The ErrorCode value's description.
    code_description: ClassVar[str] = ""
    #: The key of its default text (gql.i18n); an instance may name a more specific one.
    message_key: ClassVar[str] = "internal"
    #: Typed data the client reads: name -> (Python type, description).
    data: ClassVar[dict[str, tuple[type, str]]] = {}
    #: Raised as a top-level GraphQL error (UNAUTHENTICATED, ...), never in a union.
    top_level: ClassVar[bool] = False

    def __init__(
        self,
        *,
        field_path: tuple[str, ...] | None = None,
        message_key: str | None = None,
        **params: object,
    ) -> None:
        super().__init__(message_key or self.message_key)
        self.field_path = field_path
        self.key = message_key or self.message_key
        missing = set(self.data) - set(params)
        if missing:
            raise TypeError(f"{type(self).__name__} needs {sorted(missing)}")
        self.params = params

    @classmethod
    def type_name(cls) -> str:
        """The GraphQL type's name: `NotFoundError` -> `NotFound`."""
        return cls.__name__.removesuffix("Error")

    @classmethod
    def code(cls) -> str:
        """The ErrorCode value: the type's name in SCREAMING_SNAKE_CASE."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.type_name()).upper()

    def message_params(self, language: str) -> dict[str, object]:
        """Parameters of the text; override to format data (amounts, moments) for people."""
        return self.params


def raises(*errors: type[DomainError]) -> Callable[[F], F]:
    """Declare the expected failures of a use case; its mutation's union is built from them."""

    def mark(function: F) -> F:
        function.raises = errors  # type: ignore[attr-defined]
        return function

    return mark


def declared_errors(use_case: Callable[..., Any]) -> tuple[type[DomainError], ...]:
    return tuple(getattr(use_case, "raises", ()))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: the path inside `input` and a message key."""

    field: tuple[str, ...]
    message_key: str
    params: dict[str, object] = field(default_factory=dict)


# The order of the first five is the order of ErrorCode in the published schema.


class InvalidInputError(DomainError):
    """The input breaks one or more rules; every problem is listed, not only the first."""

    description = "The input breaks one or more rules; every problem is listed."
    code_description = "InvalidInput: the input breaks rules (see problems)."
    message_key = "invalid_input"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems


class InvalidCredentialsError(DomainError):
    description = (
        "The access code, password or verification code is wrong. Deliberately does not say "
        "which, nor whether the access code exists."
    )
    code_description = "InvalidCredentials: sign-in details are wrong."
    message_key = "invalid_credentials"


class InvalidTokenError(DomainError):
    description = "The link or token is unknown, already used or expired."
    code_description = "InvalidToken: the link is unknown, used or expired."
    message_key = "invalid_token"


class NotFoundError(DomainError):
    description = "The object does not exist or is not yours."
    code_description = "NotFound: no such object, or not yours."
    message_key = "not_found"


class InvalidStateError(DomainError):
    """Give the specific text of the situation as `message_key`."""

    description = "The object is not in a state that allows this."
    code_description = "InvalidState: the object does not allow this now."
    message_key = "invalid_state"


class UnauthenticatedError(DomainError):
    """No valid session: a top-level GraphQL error (UNAUTHENTICATED)."""

    message_key = "unauthenticated"
    top_level = True


class ForbiddenError(DomainError):
    """Signed in, but not allowed: a top-level GraphQL error (FORBIDDEN)."""

    message_key = "forbidden"
    top_level = True


class RateLimitedError(DomainError):
    """Too many attempts: a top-level GraphQL error (RATE_LIMITED) with a retry time."""

    message_key = "rate_limited"
    top_level = True

    def __init__(self, *, retry_after: datetime) -> None:
        super().__init__()
        self.retry_after = retry_after


class Problems:
    """Collects input problems and raises them together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field_path: tuple[str, ...] | str, message_key: str, **params: object) -> None:
        path = (field_path,) if isinstance(field_path, str) else field_path
        self.items.append(Problem(path, message_key, dict(params)))

    def has(self, field_name: str) -> bool:
        return any(p.field and p.field[0] == field_name for p in self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInputError(list(self.items))


def expected_errors() -> list[type[DomainError]]:
    """Every error class that can appear in a union (not top-level), in schema order:
    the five above first, as published, then the rest by name."""
    found: list[type[DomainError]] = []
    pending = list(DomainError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        if not cls.top_level and cls not in found:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    first = [InvalidInputError, InvalidCredentialsError, InvalidTokenError, NotFoundError]
    first.append(InvalidStateError)
    rest = sorted((c for c in found if c not in first), key=lambda c: c.type_name())
    return first + rest
