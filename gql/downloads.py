"""GET /files/{id}: the one route every stored document is downloaded through.

The caller is the session of the request (cookie or bearer token), or the account a signed
link was made for (`?account=&expires=&signature=`, for clients without a cookie). The file's
owning domain decides whether that account may read it; a refused download answers exactly
like a missing one (404). The file streams out chunk by chunk as an attachment, with
`X-Content-Type-Options: nosniff` (the middleware) and `Cache-Control: no-store`.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from gql.files import store
from gql.files.access import Downloader, may_download, verify_link, verify_path_link
from gql.models.accounts import Account, Usage
from gql.services.accounts import sessions
from gql.services.ledger import statements
from gql.services.orders import links
from gql.services.shared.deps import Deps


async def session_downloader(deps: Deps, request: Request) -> Downloader | None:
    """The account of the request's session: a bearer token, else the session cookie."""
    auth = request.headers.get("authorization", "")
    bearer = auth[:7].lower() == "bearer "
    token = auth[7:].strip() if bearer else request.cookies.get(deps.settings.session_cookie_name)
    if not token:
        return None
    info = await sessions.resolve(deps, token=token, bearer=bearer)
    if info is None:
        return None
    return Downloader(info.account_id, is_staff=info.usage == Usage.STAFF)


class DownloadEndpoint:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle(self, request: Request) -> Response:
        raw_id = request.path_params.get("file_id", "")
        if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 18:
            return _missing()
        file_id = int(raw_id)
        downloader = await self._downloader(request, file_id)
        stored = await store.info(self.deps.db, file_id) if downloader else None
        if (
            downloader is None
            or stored is None
            or not await may_download(
                self.deps, downloader, owner_kind=stored.owner_kind, file_id=file_id
            )
        ):
            return _missing()
        return _stream(self.deps, stored)

    async def _downloader(self, request: Request, file_id: int) -> Downloader | None:
        params = request.query_params
        if "signature" in params:
            account_id = verify_link(
                self.deps.settings,
                file_id=file_id,
                account=params.get("account", ""),
                expires=params.get("expires", ""),
                signature=params.get("signature", ""),
                now=self.deps.clock.now(),
            )
            return await self._link_holder(account_id) if account_id else None
        return await session_downloader(self.deps, request)

    async def _link_holder(self, account_id: int) -> Downloader | None:
        """The account a link was made for, as it is now: staff read as staff; a code that
        was deactivated meanwhile reads nothing."""
        async with self.deps.db.read() as session:
            row = (
                await session.execute(
                    select(col(Account.usage), col(Account.active)).where(
                        col(Account.id) == account_id
                    )
                )
            ).first()
        if row is None or not row.active:
            return None
        return Downloader(account_id, is_staff=row.usage == Usage.STAFF)


class LinkDownloadEndpoint:
    """GET /uittreksel/{token}: the e-mailed link of an anonymous purchase. Each download
    takes one of the link's downloads; a missing, expired or used-up link answers exactly
    like a missing document."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle(self, request: Request) -> Response:
        file_id = await links.take_download(self.deps, request.path_params.get("token", ""))
        stored = await store.info(self.deps.db, file_id) if file_id is not None else None
        if stored is None:
            return _missing()
        return _stream(self.deps, stored)


class StatementDownloadEndpoint:
    """GET /saldo/overzicht/{YYYY-MM}.pdf or .csv: the balance statement of a month, made on
    request, for the private account of the session (cookie or bearer token) or the account
    a signed link was made for; `?lang=en` for English. Any other caller, a malformed name,
    a month not begun yet: 404, exactly like a missing file."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle(self, request: Request) -> Response:
        month, _, file_format = request.path_params.get("file", "").rpartition(".")
        if statements.month_bounds(month) is None or file_format not in statements.FORMATS:
            return _missing()
        params = request.query_params
        if "signature" in params:
            account_id = verify_path_link(
                self.deps.settings,
                path=statements.statement_path(month, file_format),
                account=params.get("account", ""),
                expires=params.get("expires", ""),
                signature=params.get("signature", ""),
                now=self.deps.clock.now(),
            )
        else:
            downloader = await session_downloader(self.deps, request)
            account_id = downloader.account_id if downloader else None
        made = (
            await statements.statement_file(
                self.deps,
                account_id=account_id,
                month=month,
                file_format=file_format,
                language="en" if params.get("lang") == "en" else "nl",
            )
            if account_id is not None
            else None
        )
        if made is None:
            return _missing()
        content, filename = made
        return Response(
            content,
            media_type=statements.FORMATS[file_format],
            headers={
                "content-disposition": _attachment(filename),
                "cache-control": "no-store",
                "referrer-policy": "no-referrer",
            },
        )


def _stream(deps: Deps, stored: store.FileInfo) -> Response:
    return StreamingResponse(
        store.chunks(deps.db, stored),
        media_type=stored.content_type,
        headers={
            "content-disposition": _attachment(stored.filename),
            "content-length": str(stored.size),
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
        },
    )


def _missing() -> Response:
    return JSONResponse({"errors": [{"message": "Not found."}]}, status_code=404)


def _attachment(filename: str) -> str:
    """An attachment's name: ASCII for old clients, UTF-8 (RFC 6266) for the rest."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return (
        f"attachment; filename=\"{ascii_name or 'document'}\"; filename*=UTF-8''{quote(filename)}"
    )
