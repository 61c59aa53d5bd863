"""What the payment provider tests share: a started payment, its checkout page, a webhook
receiver (a tiny in-process app that verifies what it gets, as the app's webhook will)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gql.clock import Clock
from gql.models.psp import SandboxPayment, SandboxWebhook
from gql.psp import make_provider
from gql.psp.port import PaymentMethod, PaymentProvider, StartedPayment, WebhookRefused
from gql.psp.sandbox import SandboxProvider

RETURN_URL = "http://127.0.0.1:5173/betaald"
WEBHOOK_URL = "http://receiver.test/webhook"
IBAN = "NL91ABNA0417164300"
_TOKEN = re.compile(r'name="token" value="([0-9a-f]{64})"')


def provider(app: Starlette) -> PaymentProvider:
    """The app's provider, as the app makes it (the sandbox, by default)."""
    deps = app.state.deps
    return make_provider(deps.db, deps.settings, deps.clock)


def sandbox(app: Starlette) -> SandboxProvider:
    deps = app.state.deps
    return SandboxProvider(deps.db, deps.settings, deps.clock)


async def start(
    app: Starlette,
    *,
    amount_cents: int = 1250,
    method: PaymentMethod = PaymentMethod.IDEAL,
    description: str = "Tegoed storten",
) -> StartedPayment:
    return await provider(app).start_payment(
        amount_cents=amount_cents,
        description=description,
        method=method,
        return_url=RETURN_URL,
        webhook_url=WEBHOOK_URL,
        metadata={"payment": "42"},
    )


def checkout_path(started: StartedPayment) -> str:
    return "/sandbox/checkout/" + started.payment_url.rsplit("/", 1)[1]


async def page_token(client: httpx.AsyncClient, started: StartedPayment) -> str:
    """The form token of the checkout page, as a browser that opened it has it."""
    response = await client.get(checkout_path(started))
    assert response.status_code == 200, response.text
    found = _TOKEN.search(response.text)
    assert found is not None
    return found.group(1)


async def decide(
    client: httpx.AsyncClient, started: StartedPayment, decision: str, **fields: str
) -> httpx.Response:
    """Open the checkout page and press a button, as a payer does."""
    token = await page_token(client, started)
    return await client.post(
        checkout_path(started), data={"token": token, "decision": decision, **fields}
    )


async def stored_payment(app: Starlette, provider_id: str) -> SandboxPayment:
    async with app.state.deps.db.read() as session:
        payment = await session.scalar(
            select(SandboxPayment).where(SandboxPayment.provider_id == provider_id)
        )
    assert payment is not None
    return payment


async def webhooks(app: Starlette) -> list[SandboxWebhook]:
    async with app.state.deps.db.read() as session:
        rows = await session.execute(select(SandboxWebhook).order_by(SandboxWebhook.id))
        return list(rows.scalars())


@dataclass
class Receiver:
    """The app's side of a webhook: verifies the signature, records the call, and answers
    500 for its first `failures` calls."""

    provider: PaymentProvider
    clock: Clock
    failures: int = 0
    delivered: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            provider_id = self.provider.verify_webhook(request.headers, body, now=self.clock.now())
        except WebhookRefused as exc:
            self.refused.append(exc.status)
            return Response(status_code=exc.status)
        self.headers.append(dict(request.headers))
        if self.failures:
            self.failures -= 1
            return Response(status_code=500)
        self.delivered.append(provider_id)
        return Response(status_code=204)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An HTTP client whose requests reach this receiver, in process."""
        app = Starlette(routes=[Route("/webhook", self.handle, methods=["POST"])])
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), **kwargs)
