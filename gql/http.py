"""GraphQL over HTTP: one endpoint, JSON in and out, with the CSRF and size rules of SPEC §6.

Written on `schema.execute` rather than strawberry's view so that status codes follow the
GraphQL-over-HTTP spec, CSRF and trusted documents are checked before anything runs, and the
hot path stays short.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gql import i18n
from gql.context import Context, Loaders
from gql.public_reads import PublicReads, matches
from gql.schema.execution import Executor, RequestError, UnknownOperation
from gql.services.accounts import sessions
from gql.services.shared.deps import Caller, Deps
from gql.settings import Settings
from gql.uploads import UploadError, multipart_body

log = logging.getLogger("toegang.http")

JSON = "application/json"
MULTIPART = "multipart/form-data"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Also inside a message: a variable error goes on after it ("... Did you mean 'x'? Found: ...").
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# graphql-core quotes a badly typed variable back ("... non string value: <the password>").
_VARIABLE_ERROR = re.compile(r"^(Variable '\$\w+' has invalid value(?: at [^:]*)?: )(.*)$", re.S)
_QUOTED_VALUE = re.compile(r"^Value '.*?'(?= does not exist)", re.S)
GET_ONLY = frozenset({OperationType.QUERY})
POST_ALLOWED = frozenset({OperationType.QUERY, OperationType.MUTATION})


def without_input_values(message: str) -> str:
    """A variable error's message without the value it quotes: the path and the reason stay.

    The value may be a password sent in the wrong place; it must not travel back to client
    logs and error reporters.
    """
    match = _VARIABLE_ERROR.match(message)
    if match is None:
        return message
    reason = match.group(2).split(": ", 1)[0].removesuffix(", found").rstrip(".,")
    reason = _QUOTED_VALUE.sub("Value", reason)
    return f"{match.group(1)}{reason}."


def client_ip(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The peer address; X-Forwarded-For is believed only from a trusted proxy."""
    peer = request.client.host if request.client else ""
    if not trusted_proxies:
        return peer
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    if not trusted(peer):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            return hop
    return hops[0] if hops else peer


@lru_cache(maxsize=64)
def _wants_graphql_response(accept: str) -> bool:
    """Whether to answer application/graphql-response+json (the newer media type)."""
    if not accept:
        return False
    best: tuple[float, str] | None = None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in (GRAPHQL_RESPONSE, JSON) and (best is None or q > best[0]):
            best = (q, media)
    return best is not None and best[1] == GRAPHQL_RESPONSE and best[0] > 0


@lru_cache(maxsize=64)
def _accepts_any(accept: str) -> bool:
    if not accept:
        return True
    return any(
        m.split(";")[0].strip() in (GRAPHQL_RESPONSE, JSON, "*/*", "application/*")
        for m in accept.split(",")
    )


class GraphQLEndpoint:
    """The /graphql route."""

    def __init__(
        self,
        *,
        executor: Executor,
        deps: Deps,
        graphiql_html: str | None,
        trusted_documents: Mapping[str, str] | None,
    ) -> None:
        self.executor = executor
        self.deps = deps
        self.settings: Settings = deps.settings
        # Settings are frozen: the cookie's name (a parse of public_url) is worked out once.
        self.cookie_name = self.settings.session_cookie_name
        self.graphiql_html = graphiql_html
        self.trusted = trusted_documents or {}
        self.trusted_texts = frozenset(self.trusted.values())
        self.public_reads = PublicReads(deps)

    # -- responses ---------------------------------------------------------------------------

    def _json(
        self, payload: Any, status: int, media: str, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            orjson.dumps(payload),
            status_code=status,
            media_type=media,
            headers={"cache-control": "no-store", **(headers or {})},
        )

    def _request_error(
        self,
        message: str,
        status: int,
        media: str,
        headers: dict[str, str] | None = None,
        **ext: Any,
    ) -> Response:
        error: dict[str, Any] = {"message": message}
        if ext:
            error["extensions"] = ext
        return self._json({"errors": [error]}, status, media, headers)

    # -- the route ---------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        language = i18n.negotiate(request.headers.get("accept-language"))
        media = GRAPHQL_RESPONSE if _wants_graphql_response(accept) else JSON
        method = request.method
        if method == "GET":
            if (
                "text/html" in accept
                and "query" not in request.query_params
                and self.graphiql_html is not None
            ):
                return self._graphiql()
            params = request.query_params
            body: Any = {
                "query": params.get("query"),
                "operationName": params.get("operationName"),
                "documentId": params.get("documentId"),
            }
            try:
                body["variables"] = (
                    orjson.loads(params["variables"]) if params.get("variables") else None
                )
                body["extensions"] = (
                    orjson.loads(params["extensions"]) if params.get("extensions") else None
                )
            except orjson.JSONDecodeError:
                return self._request_error("variables must be JSON", 400, media)
            allowed = GET_ONLY
        elif method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != JSON:
                # Anything a plain HTML form or a no-cors fetch can send needs a header that
                # forces a CORS preflight (SPEC §6).
                if request.headers.get("graphql-require-preflight") is None:
                    return self._request_error(
                        i18n.text("csrf_preflight_required", language), 403, media, code="CSRF"
                    )
                if content_type == MULTIPART:
                    return await self._upload(request, accept, media, language)
                return self._request_error(
                    f"Unsupported content type {content_type!r}; send {JSON}.", 415, media
                )
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return self._request_error("The request body is not valid JSON.", 400, media)
            allowed = POST_ALLOWED
        else:
            return self._request_error(
                "GraphQL accepts GET and POST.", 405, media, headers={"allow": "GET, POST"}
            )
        if not _accepts_any(accept):
            return self._request_error(f"Accept {JSON} or {GRAPHQL_RESPONSE}.", 406, JSON)
        return await self._execute(request, body, allowed, media, language)

    async def _upload(self, request: Request, accept: str, media: str, language: str) -> Response:
        """A multipart request (GraphQL multipart request spec): an upload for a mutation."""
        if not _accepts_any(accept):
            return self._request_error(f"Accept {JSON} or {GRAPHQL_RESPONSE}.", 406, JSON)
        try:
            async with multipart_body(request, self.settings.data_dir) as operations:
                return await self._execute(request, operations, POST_ALLOWED, media, language)
        except UploadError as exc:
            return self._request_error(str(exc), 400, media)
        except HTTPException as exc:  # Starlette's multipart limits: too many parts
            return self._request_error(str(exc.detail), exc.status_code, media)

    def _graphiql(self) -> Response:
        assert self.graphiql_html is not None
        response = HTMLResponse(self.graphiql_html)
        # Monaco writes inline styles at run time; only this page gets 'unsafe-inline' styles.
        response.headers["content-security-policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "worker-src 'self'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        return response

    async def _execute(
        self,
        request: Request,
        body: Any,
        allowed: frozenset[OperationType],
        media: str,
        language: str,
    ) -> Response:
        if not isinstance(body, dict):
            return self._request_error("The body must be a JSON object (no batching).", 400, media)
        query, document_id = body.get("query"), body.get("documentId")
        variables, operation_name = body.get("variables"), body.get("operationName")
        if document_id is not None:
            if not isinstance(document_id, str) or document_id not in self.trusted:
                return self._request_error(
                    "Unknown documentId: only documents of the trusted-documents manifest run.",
                    400,
                    media,
                    code="PERSISTED_QUERY_NOT_FOUND",
                )
            query = self.trusted[document_id]
        if not isinstance(query, str) or not query:
            return self._request_error("The request has no query.", 400, media)
        if self.settings.trusted_documents_only and query not in self.trusted_texts:
            return self._request_error(
                "This server runs only trusted documents; send a documentId of the manifest.",
                400,
                media,
                code="PERSISTED_QUERY_NOT_FOUND",
            )
        if variables is not None and not isinstance(variables, dict):
            return self._request_error("variables must be a JSON object.", 400, media)
        if operation_name is not None and not isinstance(operation_name, str):
            return self._request_error("operationName must be a string.", 400, media)
        extensions = body.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            return self._request_error("extensions must be a JSON object.", 400, media)
        try:
            prepared = self.executor.prepare(query, operation_name)
        except UnknownOperation as unknown:
            return self._request_error(unknown.errors[0].message, 400, media)
        except RequestError as refused:
            return self._errors_only(refused.errors, media)
        if prepared.operation_type not in allowed:
            return self._request_error(
                "Mutations are not allowed over GET; use POST.",
                405,
                media,
                headers={"allow": "POST"},
            )
        if (costly := self.executor.refuse_costly(prepared, variables, language)) is not None:
            return self._errors_only([costly], media)
        public_headers = None
        if allowed is GET_ONLY and prepared.public_fields is not None and self._anonymous(request):
            freshness = await self.public_reads.freshness(
                prepared.public_fields, (query, operation_name, variables, language, media)
            )
            public_headers = {
                "cache-control": f"public, max-age={freshness.max_age}",
                "etag": freshness.etag,
                "vary": "Accept, Accept-Language, Cookie, Authorization",
            }
            if matches(request.headers.get("if-none-match"), freshness.etag):
                # The client has this answer already: nothing runs, nothing is read.
                return Response(status_code=304, headers=public_headers)
        context = await self._context(request, language)
        try:
            async with asyncio.timeout(self.settings.execution_timeout_seconds):
                result = await self.executor.run(
                    prepared,
                    context=context,
                    variables=variables,
                    operation_name=operation_name,
                    language=language,
                    request_id=context.caller.request_id,
                )
        except TimeoutError:
            reference = uuid.uuid4().hex[:12]
            log.error("execution timeout %s in request %s", reference, context.caller.request_id)
            return self._request_error(
                i18n.text("timeout", language),
                503,
                media,
                code="INTERNAL_SERVER_ERROR",
                reference=reference,
            )
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [self._format_error(e) for e in result.errors]
        # A field error that nulls a non-null root (UNAUTHENTICATED on `staff`, on a mutation)
        # still executed: `data: null` and 200. Errors without a path never executed (parse,
        # validation, coercion): no `data` at all.
        executed = any(e.path is not None for e in result.errors or [])
        if result.data is not None or executed or not result.errors:
            payload["data"] = result.data
        status = 400 if media == GRAPHQL_RESPONSE and "data" not in payload else 200
        cacheable = public_headers is not None and not result.errors and not context.cookie_changes
        response = self._json(payload, status, media, public_headers if cacheable else None)
        self._apply_cookies(response, context)
        return response

    def _anonymous(self, request: Request) -> bool:
        """No session of any kind offered: neither a cookie nor an Authorization header (even
        an expired one: whoever sends one gets an answer for them, never a shared one)."""
        return "authorization" not in request.headers and self.cookie_name not in request.cookies

    def _errors_only(self, errors: list[GraphQLError], media: str) -> Response:
        """A request that could not run (syntax, validation): no `data`; 400 with the newer
        media type, 200 with plain JSON as older clients expect."""
        payload = {"errors": [self._format_error(e) for e in errors]}
        return self._json(payload, 400 if media == GRAPHQL_RESPONSE else 200, media)

    def _format_error(self, error: GraphQLError) -> dict[str, Any]:
        formatted = dict(error.formatted)
        message = without_input_values(str(formatted["message"]))
        if self.settings.is_production:
            message = _SUGGESTION.sub("", message)
        formatted["message"] = message
        return formatted

    async def _context(self, request: Request, language: str) -> Context:
        ip = client_ip(request, self.settings.trusted_proxies)
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        token = None
        auth = request.headers.get("authorization", "")
        bearer = auth[:7].lower() == "bearer "
        token = auth[7:].strip() if bearer else request.cookies.get(self.cookie_name)
        info = await sessions.resolve(self.deps, token=token, bearer=bearer) if token else None
        caller = Caller(
            client_ip=ip,
            language=language,
            request_id=request_id,
            account_id=info.account_id if info else None,
            session_id=info.session_id if info else None,
            is_staff=bool(info and info.usage == "STAFF"),
            bearer=bearer and info is not None,
            user_agent=request.headers.get("user-agent", "")[:400],
        )
        return Context(
            request=request, deps=self.deps, caller=caller, session=info, loaders=Loaders(self.deps)
        )

    def _apply_cookies(self, response: Response, context: Context) -> None:
        name = self.cookie_name
        for change in context.cookie_changes:
            if change.token is None:
                response.delete_cookie(
                    name,
                    path="/",
                    secure=self.settings.session_cookie_secure,
                    httponly=True,
                    samesite="lax",
                )
                continue
            assert change.expires_at is not None
            max_age = int((change.expires_at - self.deps.clock.now()).total_seconds())
            response.set_cookie(
                name,
                change.token,
                max_age=max_age,
                path="/",
                secure=self.settings.session_cookie_secure,
                httponly=True,
                samesite="lax",
            )
