"""Public reads that scale without the database: `Cache-Control: public`, ETags and 304s.

The anonymous `products` and `serviceStatus` (over GET, as text or by trusted-document id) are
the same for everybody at a given moment. What they depend on is small and changes rarely: the
catalog with its prices (reference data, changed by a migration) and the maintenance windows
that have not ended. Each process keeps that in memory for `TTL_SECONDS` (read again with two or
one statements after that; nothing is shared through the disk, so several processes each keep
their own and agree, since the ETag is a digest of the rows, not of a process). From it,
without running the document, come:

- the ETag: a digest of the document, its variables, the language, the media type and that
  state as it stands now (which prices are in force, which window is current);
- the max-age: `MAX_AGE_SECONDS`, but never past the next moment the answer changes by itself
  (a price taking effect, a window starting or ending).

A matching `If-None-Match` is answered 304 before the document runs: with the state in memory,
no SQL at all. A change made in another process is seen within `TTL_SECONDS` (plus the
client's max-age): both are short, and the server decides nothing on them (ordering checks
maintenance in the database itself).
"""

from __future__ import annotations

import bisect
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from gql.services import service
from gql.services.catalog import catalog
from gql.services.shared.deps import Deps

#: How long one process trusts what it read of the catalog and the windows.
TTL_SECONDS = 5.0
#: The longest a client or a shared cache may keep a public answer without asking again.
MAX_AGE_SECONDS = 60
#: The root fields with a source here; `__typename` needs none.
SOURCES = frozenset({"products", "serviceStatus"})


@dataclass(frozen=True, slots=True)
class Freshness:
    etag: str
    max_age: int


class PublicReads:
    """The in-process state behind the ETags and max-ages of public reads."""

    def __init__(self, deps: Deps, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self.deps = deps
        self.ttl_seconds = ttl_seconds
        self._cached: dict[str, tuple[float, Any]] = {}

    def forget(self) -> None:
        """Read the state again on the next request (tests; a process that changed it)."""
        self._cached.clear()

    async def _state(self, source: str) -> Any:
        now = time.monotonic()
        hit = self._cached.get(source)
        if hit is not None and now - hit[0] < self.ttl_seconds:
            return hit[1]
        if source == "products":
            state: Any = await catalog.catalog_version(self.deps)
        else:
            state = await service.current_and_upcoming(self.deps, now=self.deps.clock.now())
        self._cached[source] = (now, state)
        return state

    async def freshness(self, fields: frozenset[str], request_key: tuple[Any, ...]) -> Freshness:
        """The ETag and max-age of a public document's answer now, without running it."""
        now = self.deps.clock.now()
        parts: list[Any] = [request_key]
        changes: list[datetime] = []
        if "products" in fields:
            version: catalog.CatalogVersion = await self._state("products")
            in_force = bisect.bisect_right(version.price_moments, now)
            parts.append(("products", version.digest, in_force))
            if in_force < len(version.price_moments):
                changes.append(version.price_moments[in_force])
        if "serviceStatus" in fields:
            windows: list[service.WindowView] = await self._state("serviceStatus")
            standing = [w for w in windows if w.ends_at > now]
            current = [w.id for w in standing if w.starts_at <= now]
            parts.append(
                (
                    "serviceStatus",
                    [(w.id, w.starts_at, w.ends_at, w.notice_nl, w.notice_en) for w in standing],
                    current,
                )
            )
            changes += [w.starts_at for w in standing if w.starts_at > now]
            changes += [w.ends_at for w in standing]
        max_age = MAX_AGE_SECONDS
        if changes:
            max_age = min(max_age, int((min(changes) - now).total_seconds()))
        digest = hashlib.sha256(
            orjson.dumps(parts, default=repr, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()[:32]
        return Freshness(etag=f'"{digest}"', max_age=max(max_age, 0))


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False
