"""Mail goes out over verified TLS, and the SMTP login only where TLS is certain.

Real aiosmtpd servers with real certificates (trustme); the mail is an access code asked
for over GraphQL, sent by the dispatcher as `toegang serve` would.
"""

from __future__ import annotations

import email
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.models.outbox import OutboxMessage
from gql.settings import SmtpTls
from tests.support.api import gql, http_client, make_settings, outbox, running_app
from tests.support.factories import PASSWORD, code_in
from tests.support.live import body_text, free_port

USERNAME, SMTP_PASSWORD = "toegang-mailer", "smtp-password-never-in-clear-text"
RECIPIENT = "piet@example.nl"

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename }
}
"""


@dataclass
class Received:
    """One accepted mail, with what the server saw of its session."""

    mail_from: str
    rcpt_tos: list[str]
    tls_version: str | None
    message: EmailMessage


@dataclass
class Login:
    username: str
    password: str
    over_tls: bool


@dataclass
class Inbox:
    """An aiosmtpd handler and authenticator that keep every mail and every AUTH attempt."""

    mails: list[Received] = field(default_factory=list)
    logins: list[Login] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.mails.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), _tls_version(server), message)
        )
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = Login(
            auth_data.login.decode(), auth_data.password.decode(), _tls_version(server) is not None
        )
        self.logins.append(login)
        return AuthResult(success=(login.username, login.password) == (USERNAME, SMTP_PASSWORD))


def _tls_version(server: Any) -> str | None:
    # The transport after STARTTLS, or the one of TLS on connect: both carry the SSL object.
    ssl_object = server.transport.get_extra_info("ssl_object")
    return None if ssl_object is None else str(ssl_object.version())


@dataclass
class Certificates:
    ca: trustme.CA
    ca_file: Path

    def server_context(self, host: str) -> ssl.SSLContext:
        """A server's TLS context with a certificate for `host`, issued by this CA."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(host).configure_cert(context)
        return context


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Certificates(ca, ca_file)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@contextmanager
def smtp_server(
    inbox: Inbox,
    *,
    starttls: ssl.SSLContext | None = None,
    tls_on_connect: ssl.SSLContext | None = None,
) -> Iterator[int]:
    """A real SMTP server on a free loopback port; returns the port.

    It takes AUTH also over a plain connection (auth_require_tls=False, as a careless server
    would), so a login our side should not have sent is seen, not refused unseen. (aiosmtpd
    only counts STARTTLS as TLS, so TLS on connect needs it as well.)
    """
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        server_hostname="127.0.0.1",
        ssl_context=tls_on_connect,
        tls_context=starttls,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
async def app(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Starlette]:
    """The app that queues the mail; each test sends it with SMTP settings of its own.

    SQLite only: the way to the SMTP server does not depend on the database.
    """
    async with running_app(make_settings(sqlite_url, tmp_path / "data"), clock) as application:
        yield application


async def queue_an_access_code_mail(app: Starlette) -> None:
    async with http_client(app) as client:
        values = {"usage": "PRIVATE", "name": "Piet", "email": RECIPIENT, "password": PASSWORD}
        body = await gql(client, REQUEST_ACCESS_CODE, {"input": values})
    assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload", body


async def send_queued_mail(app: Starlette, *, port: int, **smtp: Any) -> OutboxMessage:
    """Run the dispatcher once with these SMTP settings; returns the mail's outbox row."""
    deps = app.state.deps
    settings = make_settings(
        deps.settings.database_url,
        deps.settings.data_dir,
        smtp_host="127.0.0.1",
        smtp_port=port,
        **smtp,
    )
    await Dispatcher(deps.db, settings, deps.clock, make_senders(settings, deps.db)).run_once()
    [row] = await outbox(app)
    return row


async def test_a_mail_goes_over_starttls_to_a_verified_server_and_the_login_only_after_it(
    app: Starlette, inbox: Inbox, certificates: Certificates
) -> None:
    # given: a server offering STARTTLS with a certificate for 127.0.0.1 from our CA
    await queue_an_access_code_mail(app)
    with smtp_server(inbox, starttls=certificates.server_context("127.0.0.1")) as port:
        # when
        row = await send_queued_mail(
            app,
            port=port,
            smtp_tls=SmtpTls.STARTTLS,
            smtp_ca_file=certificates.ca_file,
            smtp_username=USERNAME,
            smtp_password=SMTP_PASSWORD,
        )

    # then
    assert row.sent_at is not None
    [received] = inbox.mails
    assert received.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert (received.mail_from, received.rcpt_tos) == ("noreply@toegang.example", [RECIPIENT])
    assert received.message["To"] == RECIPIENT
    code_in(body_text(received.message))  # the access code itself went over TLS
    assert inbox.logins == [Login(USERNAME, SMTP_PASSWORD, over_tls=True)]


async def test_by_default_mail_is_upgraded_with_starttls_when_the_server_offers_it(
    app: Starlette, inbox: Inbox, certificates: Certificates
) -> None:
    # given
    await queue_an_access_code_mail(app)
    with smtp_server(inbox, starttls=certificates.server_context("127.0.0.1")) as port:
        # when: the default mode (opportunistic), no login
        row = await send_queued_mail(app, port=port, smtp_ca_file=certificates.ca_file)

    # then
    assert row.sent_at is not None
    [received] = inbox.mails
    assert received.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert inbox.logins == []


async def test_tls_on_connect_delivers_to_a_server_that_speaks_tls_from_the_first_byte(
    app: Starlette, inbox: Inbox, certificates: Certificates
) -> None:
    # given
    await queue_an_access_code_mail(app)
    with smtp_server(inbox, tls_on_connect=certificates.server_context("127.0.0.1")) as port:
        # when
        row = await send_queued_mail(
            app,
            port=port,
            smtp_tls=SmtpTls.TLS_ON_CONNECT,
            smtp_ca_file=certificates.ca_file,
            smtp_username=USERNAME,
            smtp_password=SMTP_PASSWORD,
        )

    # then
    assert row.sent_at is not None
    [received] = inbox.mails
    assert received.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert received.rcpt_tos == [RECIPIENT]
    assert inbox.logins == [Login(USERNAME, SMTP_PASSWORD, over_tls=True)]


@pytest.mark.parametrize(
    ("mode", "certified_host", "trust_our_ca"),
    [
        pytest.param(SmtpTls.OPPORTUNISTIC, "other.example", True, id="opportunistic-other-host"),
        pytest.param(SmtpTls.STARTTLS, "other.example", True, id="starttls-other-host"),
        pytest.param(SmtpTls.TLS_ON_CONNECT, "other.example", True, id="on-connect-other-host"),
        pytest.param(SmtpTls.STARTTLS, "127.0.0.1", False, id="starttls-unknown-ca"),
    ],
)
async def test_a_server_whose_certificate_fails_the_check_gets_no_mail_and_no_login(
    app: Starlette,
    inbox: Inbox,
    certificates: Certificates,
    mode: SmtpTls,
    certified_host: str,
    trust_our_ca: bool,
) -> None:
    # given: a certificate for another host name, or from a CA the system does not trust
    await queue_an_access_code_mail(app)
    context = certificates.server_context(certified_host)
    tls = {"tls_on_connect": context} if mode is SmtpTls.TLS_ON_CONNECT else {"starttls": context}
    login = {} if mode is SmtpTls.OPPORTUNISTIC else {"smtp_username": USERNAME}
    with smtp_server(inbox, **tls) as port:
        # when
        row = await send_queued_mail(
            app,
            port=port,
            smtp_tls=mode,
            smtp_ca_file=certificates.ca_file if trust_our_ca else None,
            smtp_password=SMTP_PASSWORD,
            **login,
        )

    # then: nothing sent, no login; the dispatcher tries again later
    assert inbox.mails == []
    assert inbox.logins == []
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")
    assert SMTP_PASSWORD not in (row.last_error or "")


async def test_under_starttls_a_server_without_starttls_gets_no_mail_and_no_login(
    app: Starlette, inbox: Inbox, certificates: Certificates
) -> None:
    # given: a plain server that would even take the login in clear text
    await queue_an_access_code_mail(app)
    with smtp_server(inbox) as port:
        # when
        row = await send_queued_mail(
            app,
            port=port,
            smtp_tls=SmtpTls.STARTTLS,
            smtp_ca_file=certificates.ca_file,
            smtp_username=USERNAME,
            smtp_password=SMTP_PASSWORD,
        )

    # then
    assert inbox.mails == []
    assert inbox.logins == []
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "STARTTLS" in (row.last_error or "")


@pytest.mark.parametrize("mode", [SmtpTls.OPPORTUNISTIC, "opportunistic"], ids=["member", "string"])
async def test_a_login_set_beside_opportunistic_tls_is_never_sent(
    app: Starlette, inbox: Inbox, mode: str
) -> None:
    # given: settings made in code, past the check of Settings.from_env, and a plain server
    # that offers AUTH
    await queue_an_access_code_mail(app)
    with smtp_server(inbox) as port:
        # when
        row = await send_queued_mail(
            app,
            port=port,
            smtp_tls=mode,
            smtp_username=USERNAME,
            smtp_password=SMTP_PASSWORD,
        )

    # then: the mail goes (in clear, as opportunistic allows), the login does not
    assert row.sent_at is not None
    [received] = inbox.mails
    assert received.tls_version is None
    assert inbox.logins == []
