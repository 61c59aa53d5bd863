"""ASGI middleware: request id and JSON access log, security headers, body-size limit."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql import i18n
from gql.settings import Settings

access_log = logging.getLogger("toegang.access")

PRODUCTION_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; worker-src 'self'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class BodyTooLarge(Exception):
    pass


class RequestMiddleware:
    """Gives each request an id (logged and returned), sets security headers, caps bodies."""

    def __init__(self, app: ASGIApp, *, settings: Settings, client_ip: Any) -> None:
        self.app = app
        self.settings = settings
        self.client_ip = client_ip
        self.max_body = settings.max_body_bytes
        # Uploads (multipart only) may be larger; every other body keeps the small limit.
        self.max_upload = settings.max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        language = i18n.negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
        content_type = headers.get(b"content-type", b"")
        limit = self.max_upload if content_type.startswith(b"multipart/") else self.max_body
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, request_id, language)
            self._log(scope, 413, started, request_id)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = list(message.get("headers", []))
                names = {k.lower() for k, _ in raw}
                raw.append((b"x-request-id", request_id.encode()))
                raw.append((b"x-content-type-options", b"nosniff"))
                raw.append((b"referrer-policy", b"no-referrer"))
                if b"cache-control" not in names:
                    raw.append((b"cache-control", b"no-store"))
                if self.settings.is_production:
                    raw.append(
                        (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
                    )
                    if b"content-security-policy" not in names:
                        raw.append((b"content-security-policy", PRODUCTION_CSP.encode()))
                message = {**message, "headers": raw}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            await self._too_large(send, request_id, language)
            status = 413
        finally:
            self._log(scope, status, started, request_id)

    async def _too_large(self, send: Send, request_id: str, language: str) -> None:
        message = i18n.text("body_too_large", language)
        body = json.dumps({"errors": [{"message": message}]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _log(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        # Never the body, variables or query string: they may hold passwords and tokens.
        # Fields go as `extra`: the JSON formatter writes them once (no JSON inside JSON).
        access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": self.client_ip(scope),
            },
        )
