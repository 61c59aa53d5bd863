"""Delivery of the outbox: SMTP, the mail folder, letters, retries and leases."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from sqlmodel import select

from gql.clock import FrozenClock
from gql.db import Database
from gql.keys import Purpose, keyring
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import Sender, SmtpSender, build_email, make_senders
from gql.migrate import upgrade
from gql.models.outbox import OutboxMessage
from gql.models.throttle import ThrottleHit
from gql.settings import Settings
from tests.support.factories import pdf_text

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ACCESS_CODE = "KQ7M-4XRT-P9WD"
UTF8_BODY = f"Beste Zoë,\n\nUw toegangscode is {ACCESS_CODE} — bewaar hem goed. Tegoed: € 12,50.\n"


class ProcessKilled(BaseException):
    """Stands in for the process dying: nothing after it runs."""


@dataclass
class Env:
    db: Database
    clock: FrozenClock
    settings: Settings
    data_dir: Path


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        #: (MAIL FROM, RCPT TOs) of each message: whom the server delivers it to.
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


class SlowRecordingSender:
    """A channel that takes a while and remembers what it delivered."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: OutboxMessage) -> None:
        await asyncio.sleep(0.05)
        self.sent.append(message.message_id)


class SendsThenDies:
    """Delivers for real, then the process dies before the dispatcher can mark the row."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner

    async def send(self, message: OutboxMessage) -> None:
        await self.inner.send(message)
        raise ProcessKilled


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def smtp_server(inbox: Inbox, smtp_port: int) -> Iterator[Controller]:
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield controller
    controller.stop()


@pytest_asyncio.fixture
async def env(tmp_path: Path, smtp_port: int) -> AsyncIterator[Env]:
    path = tmp_path / "toegang.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        secret_key="x" * 48,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        mail_from="Toegang KVK <noreply@toegang.example>",
        outbox_poll_seconds=0.01,
    )
    yield Env(db=db, clock=FrozenClock(START), settings=settings, data_dir=tmp_path)
    await db.dispose()


async def add_message(env: Env, *, channel: str = "EMAIL", **fields: Any) -> OutboxMessage:
    now = env.clock.now()
    async with env.db.write() as session:
        count = len((await session.execute(select(OutboxMessage.id))).all())
        values: dict[str, Any] = {
            "message_id": f"<{count + 1}.{now:%Y%m%d%H%M%S}@toegang.kvk>",
            "channel": channel,
            "template": "access_code_issued",
            "language": "nl",
            "recipient": "zoe@example.nl",
            "subject": "Uw toegangscode — KVK",
            "body": UTF8_BODY,
            "created_at": now,
            "next_attempt_at": now,
        }
        merged = values | fields
        # As the outbox stores it: sealed (gql/keys.py).
        merged["body"] = keyring(env.settings.secret_key).seal(Purpose.MAIL_BODY, merged["body"])
        message = OutboxMessage(**merged)
        session.add(message)
        await session.commit()
    return message


async def load(env: Env, message_id: int | None) -> OutboxMessage:
    async with env.db.read() as session:
        row = await session.get(OutboxMessage, message_id)
        assert row is not None
        # Detach while loaded: the read session's rollback would expire it.
        session.expunge(row)
        return row


def dispatcher(env: Env, senders: dict[str, Sender] | None = None, **kwargs: Any) -> Dispatcher:
    return Dispatcher(
        env.db,
        env.settings,
        env.clock,
        make_senders(env.settings) if senders is None else senders,
        **kwargs,
    )


@pytest.mark.asyncio
async def test_a_mail_is_delivered_over_smtp_with_its_message_id_and_utf8_body(
    env: Env, inbox: Inbox, smtp_server: Controller
) -> None:
    # given
    message = await add_message(env)

    # when
    sent = await dispatcher(env).run_once()

    # then
    assert sent == 1
    [mail] = inbox.messages
    assert inbox.envelopes == [("noreply@toegang.example", ["zoe@example.nl"])]
    assert mail["Message-ID"] == message.message_id
    assert mail["Subject"] == "Uw toegangscode — KVK"
    assert mail["To"] == "zoe@example.nl"
    assert mail["Content-Language"] == "nl"
    body = mail.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == UTF8_BODY  # CRLF on the wire
    row = await load(env, message.id)
    assert row.sent_at == START
    assert (row.attempts, row.lease_owner, row.lease_until) == (0, None, None)


@pytest.mark.asyncio
async def test_a_mail_goes_only_to_its_stored_recipient_never_to_what_its_headers_parse_to(
    env: Env, inbox: Inbox, smtp_server: Controller
) -> None:
    # given: a row queued before addresses were checked strictly: its To header parses as a list
    await add_message(env, recipient="intern@example.nl, victim@example.nl")

    # when
    await dispatcher(env).run_once()

    # then: the envelope names the one stored recipient (the server reads its first address)
    [(mail_from, recipients)] = inbox.envelopes
    assert mail_from == "noreply@toegang.example"
    assert "victim@example.nl" not in recipients


@pytest.mark.asyncio
async def test_a_mail_is_retried_after_the_backoff_when_the_smtp_server_was_down(
    env: Env, inbox: Inbox, smtp_port: int
) -> None:
    # given: nothing listens on the SMTP port
    message = await add_message(env)
    mailer = dispatcher(env)

    # when
    sent = await mailer.run_once()

    # then
    assert sent == 0
    row = await load(env, message.id)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.next_attempt_at == START + timedelta(seconds=30)
    assert row.last_error
    assert row.lease_owner is None

    # given: the server is up again, but the backoff has not passed
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        env.clock.advance(seconds=29)
        assert await mailer.run_once() == 0
        assert inbox.messages == []

        # when
        env.clock.advance(seconds=1)
        sent = await mailer.run_once()
    finally:
        controller.stop()

    # then
    assert sent == 1
    assert [mail["Message-ID"] for mail in inbox.messages] == [message.message_id]
    row = await load(env, message.id)
    assert row.sent_at == START + timedelta(seconds=30)
    assert row.attempts == 1


@pytest.mark.asyncio
async def test_a_message_that_keeps_failing_is_never_dropped_and_waits_at_most_an_hour(
    env: Env,
) -> None:
    # given: nothing listens on the SMTP port
    message = await add_message(env)
    mailer = dispatcher(env)
    waits = []

    # when
    for _ in range(10):
        before = env.clock.now()
        await mailer.run_once()
        row = await load(env, message.id)
        waits.append((row.next_attempt_at - before).total_seconds())
        env.clock.advance(seconds=waits[-1])

    # then
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    row = await load(env, message.id)
    assert (row.attempts, row.sent_at) == (10, None)


@pytest.mark.asyncio
async def test_two_dispatchers_at_once_send_every_message_exactly_once(env: Env) -> None:
    # given: two processes, each with its own engine on the same database
    messages = [await add_message(env) for _ in range(12)]
    other_db = Database(env.db.url)
    slow = SlowRecordingSender()
    first = Dispatcher(env.db, env.settings, env.clock, {"EMAIL": slow}, owner_id="host-a")
    second = Dispatcher(other_db, env.settings, env.clock, {"EMAIL": slow}, owner_id="host-b")

    # when
    try:
        round_one = await asyncio.gather(
            first.run_once(limit=5), second.run_once(limit=5), first.run_once(limit=5)
        )
        round_two = await asyncio.gather(second.run_once(), first.run_once())
    finally:
        await other_db.dispose()

    # then
    assert sorted(slow.sent) == sorted(m.message_id for m in messages)
    assert sorted(round_one) == [2, 5, 5]
    assert list(round_two) == [0, 0]
    for message in messages:
        row = await load(env, message.id)
        assert row.sent_at is not None and row.lease_owner is None


@pytest.mark.asyncio
async def test_a_message_whose_lease_expired_after_a_crash_is_sent_again_with_the_same_message_id(
    env: Env, inbox: Inbox, smtp_server: Controller
) -> None:
    # given: a dispatcher that delivered the mail and died before marking it sent
    message = await add_message(env)
    dying = dispatcher(env, {"EMAIL": SendsThenDies(SmtpSender(env.settings))}, owner_id="dies")
    with pytest.raises(ProcessKilled):
        await dying.run_once()
    survivor = dispatcher(env, owner_id="survives")
    env.clock.advance(seconds=59)
    assert await survivor.run_once() == 0

    # when
    env.clock.advance(seconds=2)
    sent = await survivor.run_once()

    # then
    assert sent == 1
    assert [mail["Message-ID"] for mail in inbox.messages] == [message.message_id] * 2
    row = await load(env, message.id)
    assert row.sent_at == START + timedelta(seconds=61)
    assert row.lease_owner is None


@pytest.mark.asyncio
async def test_without_an_smtp_host_a_mail_is_written_as_an_eml_file_a_person_can_open(
    env: Env,
) -> None:
    # given
    settings = replace(env.settings, smtp_host="")
    message = await add_message(env, language="en", subject="Your access code — KVK")

    # when
    sent = await Dispatcher(env.db, settings, env.clock, make_senders(settings)).run_once()

    # then
    assert sent == 1
    [path] = (env.data_dir / "mail").iterdir()
    assert path.name == f"20250303T090000Z-{message.id:08d}.eml"
    mail = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(mail, EmailMessage)
    assert mail["Message-ID"] == message.message_id
    assert mail["From"] == "Toegang KVK <noreply@toegang.example>"
    assert mail["To"] == "zoe@example.nl"
    assert mail["Subject"] == "Your access code — KVK"
    assert mail["Content-Language"] == "en"
    body = mail.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == UTF8_BODY  # CRLF on the wire
    assert path.stat().st_mode & 0o077 == 0
    assert (await load(env, message.id)).sent_at == START


@pytest.mark.asyncio
async def test_a_letter_is_rendered_as_a_pdf_in_the_letters_folder(env: Env) -> None:
    # given: text the core font cannot all draw ("Ł", "Ж") beside text it can ("€", "—")
    message = await add_message(
        env,
        channel="POST",
        recipient="Bakkerij Łódź B.V. t.a.v. Zoë Jansen",
        address="Dorpsstraat 1\n1234 AB  Ergens",
        subject="Uw toegangscode",
        body=UTF8_BODY + "Привет, Жанна.\n",
    )

    # when
    sent = await dispatcher(env).run_once()

    # then
    assert sent == 1
    [path] = (env.data_dir / "letters").iterdir()
    assert path.name == f"{message.id:08d}-access-code-issued.pdf"
    assert path.read_bytes().startswith(b"%PDF")
    text = pdf_text(path)
    assert ACCESS_CODE in text
    assert "Dorpsstraat 1" in text
    assert "3 maart 2025" in text
    assert (await load(env, message.id)).sent_at == START


@pytest.mark.asyncio
async def test_the_dispatcher_loop_survives_a_failing_channel_and_clears_old_throttle_hits(
    env: Env,
) -> None:
    # given: a channel with no sender, and throttle hits of yesterday and of today
    await add_message(env, channel="POST")
    async with env.db.write() as session:
        session.add(ThrottleHit(bucket="login", key="old", at=START - timedelta(hours=25)))
        session.add(ThrottleHit(bucket="login", key="new", at=START - timedelta(hours=1)))
        await session.commit()
    mailer = dispatcher(env, {})
    stop = asyncio.Event()

    # when
    loop = asyncio.create_task(mailer.run_forever(stop))
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(loop, timeout=2)

    # then
    async with env.db.read() as session:
        keys = (await session.execute(select(ThrottleHit.key))).scalars().all()
        outcome = (
            await session.execute(
                select(OutboxMessage.attempts, OutboxMessage.sent_at, OutboxMessage.last_error)
            )
        ).one()
    assert keys == ["new"]
    assert tuple(outcome) == (1, None, "LookupError: no sender for channel POST")


def test_an_email_has_the_same_headers_every_time_it_is_built() -> None:
    # given
    message = OutboxMessage(
        id=7,
        message_id="<7.abc@toegang.kvk>",
        channel="EMAIL",
        template="t",
        language="nl",
        recipient="a@example.nl",
        subject="Onderwerp",
        body="Tekst",
        created_at=START,
        next_attempt_at=START,
    )

    # when
    first = build_email(message, mail_from="x@example.nl")
    second = build_email(message, mail_from="x@example.nl")

    # then
    assert first.as_bytes() == second.as_bytes()
    assert first["Date"] == "Mon, 03 Mar 2025 09:00:00 +0000"
