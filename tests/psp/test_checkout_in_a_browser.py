"""The sandbox as a payer and the app meet it: the app served by uvicorn on a real port (its
worker loop sending webhooks over real HTTP), headless Chromium on the checkout page, the
app's webhook on a port of its own, and the return URL on another origin.

uvicorn runs in a thread of this process rather than as `toegang serve`: starting a process
costs seconds of imports, and the process itself is not what this test is about."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from gql.app import create_app
from gql.clock import Clock
from gql.db import Database
from gql.psp.port import PaymentMethod, PaymentStatus, ProviderStatus, StartedPayment
from gql.psp.sandbox import SandboxProvider, verify_webhook
from gql.settings import Settings
from tests.psp.support import IBAN
from tests.support.api import make_settings
from tests.support.browser import chromium, static_site
from tests.support.live import free_port

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000


@dataclass
class WebhookServer:
    """The app's webhook on a real port: verifies each call as the app will, records it."""

    settings: Settings
    url: str = ""
    delivered: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


@pytest.fixture
def webhook_server(settings_of_server: Settings) -> Iterator[WebhookServer]:
    received = WebhookServer(settings_of_server)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            try:
                headers = dict(self.headers.items())
                received.delivered.append(
                    verify_webhook(received.settings, headers, body, now=datetime.now(UTC))
                )
                self.send_response(204)
            except Exception as exc:
                received.refused.append(getattr(exc, "status", 500))
                self.send_response(400)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def settings_of_server(sqlite_url: str, tmp_path: Path) -> Settings:
    port = free_port()
    return make_settings(
        sqlite_url,
        tmp_path / "data",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
        run_dispatcher=True,
        outbox_poll_seconds=0.1,
    )


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[None]:
    """The app with its lifespan (and worker loop) on settings.port, until the block ends."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=settings.port,
        lifespan="on",
        ws="none",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def at_the_provider(settings: Settings, call: str, **arguments: object) -> object:
    """Call the provider as the app does, on the server's database. In a thread of its own:
    Playwright's sync API keeps an event loop running in this one."""

    async def run() -> object:
        db = Database(settings.database_url)
        try:
            method = getattr(SandboxProvider(db, settings, Clock()), call)
            return await method(**arguments)
        finally:
            await db.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_a_payer_pays_with_ideal_in_a_browser_and_the_worker_tells_the_app(
    settings_of_server: Settings,
    webhook_server: WebhookServer,
    tmp_path: Path,
) -> None:
    # given: the app's return page on its own origin, and a started payment
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "betaald.html").write_text(
        '<!doctype html><title>Betaald</title><link rel="icon" href="data:,">'
    )
    with (
        static_site(tmp_path / "site") as app_site,
        serving(settings_of_server),
        chromium() as browser,
    ):
        started = at_the_provider(
            settings_of_server,
            "start_payment",
            amount_cents=2500,
            description="Tegoed storten",
            method=PaymentMethod.IDEAL,
            return_url=app_site.url("betaald.html"),
            webhook_url=webhook_server.url,
            metadata={"payment": "7"},
        )
        assert isinstance(started, StartedPayment)
        page = browser.new_page()
        problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                problems.append(message.text) if message.type in {"error", "warning"} else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(str(error)))

        # when: the payer opens the page, fills in the IBAN and pays
        page.goto(started.payment_url, timeout=TIMEOUT_MS)
        notice_colour = page.eval_on_selector(
            ".notice", "element => getComputedStyle(element).backgroundColor"
        )
        page.fill("#iban", "NL91 ABNA 0417 1643 00")
        page.fill("#name", "A. Betaler")
        with page.expect_navigation(timeout=TIMEOUT_MS):
            page.click("button[value=pay]")
        landed_on = page.url
        deadline = time.monotonic() + 10
        while not webhook_server.delivered and time.monotonic() < deadline:
            time.sleep(0.05)

    # then: the style sheet ran under the page's policy, nothing was blocked, the payer is
    # back at the app, and the worker called the webhook, signed
    assert notice_colour == "rgb(255, 244, 206)"
    assert problems == [], problems
    assert landed_on == app_site.url("betaald.html")
    assert webhook_server.delivered == [started.provider_id]
    assert webhook_server.refused == []
    status = at_the_provider(settings_of_server, "get_status", provider_id=started.provider_id)
    assert isinstance(status, PaymentStatus)
    assert (status.status, status.payer_iban, status.payer_name) == (
        ProviderStatus.PAID,
        IBAN,
        "A. Betaler",
    )
