"""The per-request context every resolver reads: who asks, in which language, with what."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from strawberry.dataloader import DataLoader

from gql.models.register import Company
from gql.services import register
from gql.services.accounts.sessions import SessionInfo
from gql.services.shared.deps import Caller, Deps


class Loaders:
    """Per-request DataLoaders, so a list never costs one query per item.

    Each is made when first used: most requests use none.
    """

    __slots__ = ("_company", "deps")

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._company: DataLoader[str, Company | None] | None = None

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
