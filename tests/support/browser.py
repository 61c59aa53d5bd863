"""Support for the browser tests: static sites on their own origins and headless Chromium.

    with static_site(folder, headers={...}) as site:      # http://127.0.0.1:<free port>
        ...site.url("index.html")...
    with chromium() as browser:                             # Debian's /usr/bin/chromium
        page = browser.new_page()

Nothing is downloaded: Playwright drives the system Chromium (`executable_path`), never a
browser of its own (`playwright install` is not used).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXAMPLE_SPA = Path(__file__).resolve().parents[2] / "frontend-contract" / "example-spa"


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless system Chromium, closed (with Playwright's driver) when the block ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one folder, adds fixed headers, logs nothing."""

    extra_headers: Mapping[str, str] = {}

    def end_headers(self) -> None:
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.send_header("cache-control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class StaticSite:
    """A running static file server on 127.0.0.1."""

    port: int
    folder: Path

    def url(self, path: str = "", *, host: str = "127.0.0.1") -> str:
        """`host` may be `localhost`: the same server, but another site to the browser."""
        return f"http://{host}:{self.port}/{path.lstrip('/')}"

    def origin(self, *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"


@contextlib.contextmanager
def static_site(folder: Path, *, headers: Mapping[str, str] | None = None) -> Iterator[StaticSite]:
    """Serve `folder` on a free port of 127.0.0.1 from a thread; stopped when the block ends."""
    handler = type("Handler", (_QuietHandler,), {"extra_headers": dict(headers or {})})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield StaticSite(port=server.server_address[1], folder=folder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
