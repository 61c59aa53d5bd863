"""Domain errors: raised by services, mapped once to GraphQL types by the resolvers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class DomainError(Exception):
    """An expected failure of a use case; `message_key` names its text in gql.i18n."""

    message_key = "internal"

    def __init__(self, *, field_path: tuple[str, ...] | None = None, **params: object) -> None:
        super().__init__(self.message_key)
        self.field_path = field_path
        self.params = params


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: the path inside `input` and a message key."""

    field: tuple[str, ...]
    message_key: str
    params: dict[str, object] = field(default_factory=dict)


class InvalidInputError(DomainError):
    """The input breaks one or more rules; every problem is listed, not only the first."""

    message_key = "invalid_input"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems


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


class InvalidCredentialsError(DomainError):
    message_key = "invalid_credentials"


class InvalidTokenError(DomainError):
    message_key = "invalid_token"


class NotFoundError(DomainError):
    message_key = "not_found"


class InvalidStateError(DomainError):
    message_key = "invalid_state"


class UnauthenticatedError(DomainError):
    """No valid session: a top-level GraphQL error (UNAUTHENTICATED)."""

    message_key = "unauthenticated"


class ForbiddenError(DomainError):
    """Signed in, but not allowed: a top-level GraphQL error (FORBIDDEN)."""

    message_key = "forbidden"


class RateLimitedError(DomainError):
    """Too many attempts: a top-level GraphQL error (RATE_LIMITED) with a retry time."""

    message_key = "rate_limited"

    def __init__(self, *, retry_after: datetime) -> None:
        super().__init__()
        self.retry_after = retry_after
