"""The per-request context every resolver reads: who asks, in which language, with what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request
from strawberry.dataloader import DataLoader

from gql.models.register import Company
from gql.services import register
from gql.services.accounts.sessions import SessionInfo
from gql.services.shared.deps import Caller, Deps

K = TypeVar("K")
V = TypeVar("V")


class Loaders:
    """Per-request DataLoaders, so a list never costs one query per item.

    Each is made when first used: most requests use none.
    """

    __slots__ = ("_company", "_domain", "deps")

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._company: DataLoader[str, Company | None] | None = None
        self._domain: dict[str, DataLoader[Any, Any]] = {}

    def of(
        self, name: str, load: Callable[[Deps, list[K]], Awaitable[Sequence[V]]]
    ) -> DataLoader[K, V]:
        """A domain's own DataLoader, made on first use in this request: `load(deps, keys)`
        answers one value per key, in order (a domain adds loaders without editing this)."""
        found = self._domain.get(name)
        if found is None:
            deps = self.deps

            async def batch(keys: list[K]) -> Sequence[V]:
                return await load(deps, keys)

            found = self._domain[name] = DataLoader(load_fn=batch)
        return found

    @property
    def company(self) -> DataLoader[str, Company | None]:
        if self._company is None:
            self._company = DataLoader(load_fn=self._load_companies)
        return self._company

    async def _load_companies(self, keys: list[str]) -> list[Company | None]:
        found = await register.get_companies(self.deps, kvk_numbers=list(keys))
        return [found.get(k) for k in keys]


@dataclass(slots=True)
class CookieChange:
    token: str | None  # None clears the cookie
    expires_at: datetime | None = None


@dataclass(slots=True)
class Context:
    request: Request
    deps: Deps
    caller: Caller
    session: SessionInfo | None
    loaders: Loaders
    cookie_changes: list[CookieChange] = field(default_factory=list)

    @property
    def language(self) -> str:
        return self.caller.language

    def set_session_cookie(self, token: str, expires_at: datetime) -> None:
        self.cookie_changes.append(CookieChange(token, expires_at))

    def clear_session_cookie(self) -> None:
        self.cookie_changes.append(CookieChange(None))
