"""The payment service provider: the port the app codes against, and the providers behind it.

`port.py` is the interface; `sandbox.py` the built-in provider that behaves like a real one
on this machine, with its checkout page in `checkout.py` (Starlette, mounted by gql/app.py).
The app gets its provider from `make_provider`, chosen by TOEGANG_PSP.
"""

from __future__ import annotations

from gql.clock import Clock
from gql.db import Database
from gql.psp.port import PaymentProvider
from gql.psp.sandbox import SandboxProvider
from gql.settings import Settings

__all__ = ["make_provider"]


def make_provider(db: Database, settings: Settings, clock: Clock) -> PaymentProvider:
    """The provider TOEGANG_PSP names (Settings.from_env allows only the known ones)."""
    if settings.psp == "sandbox":
        return SandboxProvider(db, settings, clock)
    raise ValueError(f"no payment provider {settings.psp!r}")
