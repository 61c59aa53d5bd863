"""Who may download a stored file: each owning domain answers for its own files.

A domain registers a check for its `owner_kind` (`register_owner("annual_report", check)`);
the download route asks it, and answers a refusal exactly like a missing file. Bearer-token
clients (mobile apps) cannot send a cookie with a plain link, so they get a short-lived link
signed with the key for download links, bound to the file and the account it was made for;
the account's right to the file is checked again when the link is used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from gql.keys import Purpose, keyring
from gql.settings import Settings


@dataclass(frozen=True, slots=True)
class Downloader:
    """Who asks for a file: a signed-in account (or the account a signed link was made for)."""

    account_id: int
    is_staff: bool


Check = Callable[[Any, Downloader, int], Awaitable[bool]]  # (deps, downloader, file id)
OWNERS: dict[str, Check] = {}


def register_owner(owner_kind: str, check: Check) -> None:
    """`check(deps, downloader, file_id)` answers whether that account may read that file."""
    if owner_kind in OWNERS:
        raise ValueError(f"file owner {owner_kind} is already registered")
    OWNERS[owner_kind] = check


async def may_download(deps: Any, downloader: Downloader, *, owner_kind: str, file_id: int) -> bool:
    check = OWNERS.get(owner_kind)
    return check is not None and await check(deps, downloader, file_id)


def download_path(file_id: int) -> str:
    """The route of a file, for a browser that sends its session cookie along."""
    return f"/files/{file_id}"


def signed_link(
    settings: Settings, *, file_id: int, account_id: int, now: datetime
) -> tuple[str, datetime]:
    """A link that works for `download_link_seconds`, for this file and account only."""
    expires_ts = int((now + timedelta(seconds=settings.download_link_seconds)).timestamp())
    # Whole seconds, as the link carries them: downloadExpiresAt is exactly when it stops.
    expires = datetime.fromtimestamp(expires_ts, tz=UTC)
    signature = keyring(settings.secret_key).sign(
        Purpose.DOWNLOAD_LINK, _signed_value(file_id, account_id, expires_ts)
    )
    query = urlencode({"account": account_id, "expires": expires_ts, "signature": signature})
    return f"{settings.public_url}{download_path(file_id)}?{query}", expires


def verify_link(
    settings: Settings, *, file_id: int, account: str, expires: str, signature: str, now: datetime
) -> int | None:
    """The account a valid, unexpired link of this file was made for; else None."""
    if not (account.isdigit() and expires.isdigit()) or len(signature) != 64:
        return None
    if int(expires) < now.timestamp():
        return None
    value = _signed_value(file_id, int(account), int(expires))
    if not keyring(settings.secret_key).verify(Purpose.DOWNLOAD_LINK, value, signature):
        return None
    return int(account)


def _signed_value(file_id: int, account_id: int, expires_ts: int) -> str:
    return f"file:{file_id}|account:{account_id}|expires:{expires_ts}"


# ---- documents made on request (a balance statement): a signed link to a route ----------------


def signed_path_link(
    settings: Settings, *, path: str, account_id: int, now: datetime
) -> tuple[str, datetime]:
    """Like `signed_link`, for a document made on request at `path` (no stored file): the
    link works for `download_link_seconds`, for this path and account only."""
    expires_ts = int((now + timedelta(seconds=settings.download_link_seconds)).timestamp())
    expires = datetime.fromtimestamp(expires_ts, tz=UTC)
    signature = keyring(settings.secret_key).sign(
        Purpose.DOWNLOAD_LINK, _signed_path(path, account_id, expires_ts)
    )
    query = urlencode({"account": account_id, "expires": expires_ts, "signature": signature})
    return f"{settings.public_url}{path}?{query}", expires


def verify_path_link(
    settings: Settings, *, path: str, account: str, expires: str, signature: str, now: datetime
) -> int | None:
    """The account a valid, unexpired link to `path` was made for; else None."""
    if not (account.isdigit() and expires.isdigit()) or len(signature) != 64:
        return None
    if int(expires) < now.timestamp():
        return None
    value = _signed_path(path, int(account), int(expires))
    if not keyring(settings.secret_key).verify(Purpose.DOWNLOAD_LINK, value, signature):
        return None
    return int(account)


def _signed_path(path: str, account_id: int, expires_ts: int) -> str:
    # "path:" never begins a file link's value ("file:"): neither link opens the other.
    return f"path:{path}|account:{account_id}|expires:{expires_ts}"
