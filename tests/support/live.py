"""Real processes for end-to-end tests: `toegang serve` (uvicorn), the `toegang` CLI, an SMTP inbox,
the mail folder of a server without SMTP.

    env = server_env(database_url=url, data_dir=tmp_path / "data", port=free_port(),
                     TOEGANG_SMTP_HOST="127.0.0.1", TOEGANG_SMTP_PORT=str(inbox.port))
    with live_server(env, log_path=tmp_path / "server.log") as server:
        with server.client() as http:
            http.post("/graphql", json={...})

The server is always stopped (SIGTERM, then SIGKILL) when the block ends, also on failure;
its stdout and stderr (the JSON log lines) go to `log_path`, readable with `server.log()`.
"""

from __future__ import annotations

import contextlib
import email
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
TOEGANG = BIN / "toegang"
PYTHON = BIN / "python"
SECRET_KEY = "e2e-secret-key-that-is-long-enough-0123456789abcdef"
STARTUP_SECONDS = 30.0
ACCESS_CODE = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(*, database_url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a test server: loopback, OWASP-minimum argon2, fast outbox polling.

    Every TOEGANG_ variable of the calling shell is dropped, so a developer's settings never
    leak into a test; `extra` adds or overrides (full names, e.g. TOEGANG_SMTP_HOST="...").
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEGANG_")}
    env.update(
        {
            "TOEGANG_ENV": "development",
            "TOEGANG_DATABASE_URL": database_url,
            "TOEGANG_DATA_DIR": str(data_dir),
            "TOEGANG_HOST": "127.0.0.1",
            "TOEGANG_PORT": str(port),
            "TOEGANG_SECRET_KEY": SECRET_KEY,
            "TOEGANG_OUTBOX_POLL_SECONDS": "0.1",
            "TOEGANG_ARGON2_MEMORY_KIB": "19456",
            "TOEGANG_ARGON2_TIME_COST": "2",
            "TOEGANG_ARGON2_PARALLELISM": "1",
            "TOEGANG_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run_toegang(
    args: Sequence[str], env: dict[str, str], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one `toegang` subcommand to its end; raises with its output when it fails."""
    done = subprocess.run(
        [str(TOEGANG), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"toegang {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return done


@dataclass
class LiveServer:
    """A running server process and how to reach it."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    verify: ssl.SSLContext | bool = True

    def log(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.verify, timeout=30, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, verify=self.verify, timeout=30, **kwargs)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """A graceful stop (SIGTERM); SIGKILL when it does not end in time."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process.wait(timeout=10)


def _wait_until_healthy(server: LiveServer, deadline: float) -> None:
    while True:
        if not server.running:
            raise RuntimeError(
                f"the server exited with {server.process.returncode} before it was healthy:\n"
                + server.log()
            )
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(f"{server.url}/healthz", verify=server.verify, timeout=2)
            if response.status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not become healthy in time:\n" + server.log())
        time.sleep(0.05)


@contextlib.contextmanager
def live_server(
    env: dict[str, str],
    *,
    log_path: Path,
    command: Sequence[str] | None = None,
    scheme: str = "http",
    verify: ssl.SSLContext | bool = True,
) -> Iterator[LiveServer]:
    """Start `toegang serve` (or `command`) with `env`; yields once /healthz answers 200."""
    url = f"{scheme}://{env['TOEGANG_HOST']}:{env['TOEGANG_PORT']}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command) if command else [str(TOEGANG), "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C of pytest must not reach it before we stop it
        )
        server = LiveServer(url=url, process=process, log_path=log_path, verify=verify)
        try:
            _wait_until_healthy(server, time.monotonic() + STARTUP_SECONDS)
            yield server
        finally:
            server.stop()


def uvicorn_factory_command(
    port: int, *, ssl_keyfile: Path | None = None, ssl_certfile: Path | None = None
) -> list[str]:
    """uvicorn on the app factory, e.g. for TLS, which `toegang serve` does not do itself.

    Proxy headers are off, as in `toegang serve`: only TOEGANG_TRUSTED_PROXIES decides whose
    X-Forwarded-For is believed (uvicorn's default would trust 127.0.0.1).
    """
    command = [
        str(PYTHON),
        "-m",
        "uvicorn",
        "gql.app:create_app_from_env",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-proxy-headers",
        "--no-access-log",
    ]
    if ssl_keyfile and ssl_certfile:
        command += ["--ssl-keyfile", str(ssl_keyfile), "--ssl-certfile", str(ssl_certfile)]
    return command


@dataclass
class SmtpInbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self._arrived:
            self.messages.append(parsed)
            self._arrived.notify_all()
        return "250 Message accepted"

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool], *, timeout: float = 15.0
    ) -> EmailMessage:
        """The first message that satisfies `predicate`, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m["To"], m["Subject"]) for m in self.messages]
                    raise AssertionError(f"no such mail arrived; got {seen}")
                self._arrived.wait(remaining)

    def to(self, recipient: str) -> list[EmailMessage]:
        with self._arrived:
            return [m for m in self.messages if m["To"] == recipient]


def body_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@contextlib.contextmanager
def smtp_inbox() -> Iterator[SmtpInbox]:
    """An SMTP server on a free loopback port, stopped when the block ends."""
    inbox = SmtpInbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def wait_for_file(folder: Path, pattern: str, *, timeout: float = 15.0) -> Path:
    """The first file in `folder` matching the glob `pattern`, waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(folder.glob(pattern)) if folder.exists() else []
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern} appeared in {folder}")
        time.sleep(0.05)


class MailFolder:
    """The .eml files the server writes to TOEGANG_DATA_DIR/mail when no SMTP host is set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: set[Path] = set()

    def next_to(self, recipient: str, subject: str, *, timeout: float = 15.0) -> str:
        """The body of the next mail (not returned before) to `recipient` with `subject`."""
        deadline = time.monotonic() + timeout
        while True:
            for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
                if path in self.seen:
                    continue
                message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
                assert isinstance(message, EmailMessage)
                if message["To"] == recipient and message["Subject"] == subject:
                    self.seen.add(path)
                    part = message.get_body(("plain",))
                    assert part is not None
                    return str(part.get_content())
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail {subject!r} to {recipient} in {self.folder}")
            time.sleep(0.05)


CHECKOUT_TOKEN = re.compile(r'name="token" value="([0-9a-f]{64})"')


def pay_at_the_sandbox(
    client: httpx.Client,
    payment_url: str,
    *,
    iban: str = "NL91ABNA0417164300",
    name: str = "A. de Vries",
) -> httpx.Response:
    """Open the sandbox's checkout page and press Pay with a payer's IBAN, as a payer does."""
    page = client.get(payment_url)
    assert page.status_code == 200, page.text
    token = CHECKOUT_TOKEN.search(page.text)
    assert token is not None, page.text
    return client.post(
        payment_url,
        data={"token": token.group(1), "decision": "pay", "iban": iban, "name": name},
    )


def create_staff(env: dict[str, str], password: str) -> tuple[str, str]:
    """`toegang create-staff --password-stdin`; returns (access code, TOTP secret)."""
    done = run_toegang(
        [
            "create-staff",
            "--name",
            "Sam Medewerker",
            "--email",
            "sam@kvk.example",
            "--password-stdin",
        ],
        env,
        stdin=password + "\n",
    )
    code = re.search(r"^access code: (\S+)$", done.stdout, re.MULTILINE)
    secret = re.search(r"^TOTP secret: (\S+)$", done.stdout, re.MULTILINE)
    assert code and secret, done.stdout
    return code.group(1), secret.group(1)
