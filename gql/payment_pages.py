"""The payment provider's two ways into the app: its webhook, and the payer's return page.

POST /psp/webhook: the provider says a payment changed. The signature and timestamp are
verified (401 bad signature, 400 stale or malformed, nothing changed); then the app asks the
provider for the payment's status and settles it. A replay, a duplicate or an unknown payment
answers 200 and changes nothing; a provider that cannot answer the status call gets 503, so
it delivers the webhook again later.

GET /betaling/{id}: where the payer lands after paying when the client gave no return URL.
It shows the outcome; while the payment is still open it asks the provider once (a webhook
may be slow) and refreshes itself. The id is the payment's unguessable public id.
"""

from __future__ import annotations

import html
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from gql import i18n
from gql.models.payments import PaymentState
from gql.psp.port import WebhookRefused
from gql.services.payments import payments
from gql.services.shared.deps import Deps
from gql.services.shared.formatting import format_cents

log = logging.getLogger("toegang.payments")

MAX_WEBHOOK_BYTES = 16_384
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)

_STATE_TEXTS = {
    PaymentState.CANCELED: "return_state_canceled",
    PaymentState.FAILED: "return_state_failed",
    PaymentState.EXPIRED: "return_state_expired",
}


class WebhookEndpoint:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle(self, request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BYTES:
                return PlainTextResponse("Too large.", status_code=413)
        try:
            provider_id = self.deps.psp.verify_webhook(
                request.headers, body, now=self.deps.clock.now()
            )
        except WebhookRefused as refused:
            log.warning("webhook refused (%s): %s", refused.status, refused.reason)
            return PlainTextResponse(refused.reason, status_code=refused.status)
        try:
            await payments.settle_from_provider(self.deps, provider_id)
        except Exception:
            log.warning("webhook: asking the provider failed; it will deliver again", exc_info=True)
            return PlainTextResponse("Try again later.", status_code=503)
        return PlainTextResponse("OK")


class ReturnPage:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle(self, request: Request) -> Response:
        language = i18n.negotiate(request.headers.get("accept-language", ""))
        public_id = request.path_params.get("public_id", "")
        view = None
        if 10 <= len(public_id) <= 40 and public_id.isascii():
            view = await payments.by_public_id(self.deps, public_id=public_id)
        if view is not None and view.status == PaymentState.OPEN:
            view = await self._ask_provider(view)
        refresh = False
        if view is None:
            text, status = i18n.text("return_unknown", language), 404
        else:
            amount = format_cents(view.amount_cents, language)
            status = 200
            if view.status == PaymentState.PAID:
                text = i18n.text("return_paid", language, amount=amount)
            elif view.status == PaymentState.OPEN:
                text, refresh = i18n.text("return_open", language, amount=amount), True
            else:
                state = i18n.text(_STATE_TEXTS[view.status], language)
                text = i18n.text("return_not_paid", language, amount=amount, status=state)
        return HTMLResponse(
            _page(language, text, self.deps.settings.cors_origins, refresh=refresh),
            status_code=status,
            headers={"content-security-policy": PAGE_CSP, "x-robots-tag": "noindex"},
        )

    async def _ask_provider(self, view: payments.PaymentView) -> payments.PaymentView | None:
        now = self.deps.clock.now()
        try:
            await payments.ask_provider_once(
                self.deps, payment_id=view.id, now=now, every=payments.ASK_WHEN_READ
            )
        except Exception:
            log.warning("return page: asking the provider failed", exc_info=True)
            return view
        return await payments.get_payment(self.deps, payment_id=view.id)


def _page(language: str, text: str, origins: tuple[str, ...], *, refresh: bool) -> str:
    back = (
        f'<p><a href="{html.escape(origins[0])}">{html.escape(i18n.text("return_back", language))}'
        "</a></p>"
        if origins
        else ""
    )
    meta = '<meta http-equiv="refresh" content="3">' if refresh else ""
    title = html.escape(i18n.text("return_title", language))
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{title}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style></head>"
        f'<body><h1>{title}</h1><p role="status">{html.escape(text)}</p>{back}</body></html>'
    )
