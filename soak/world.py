"""The soak's world: a database (a throwaway PostgreSQL cluster or one SQLite file), its seed
data, and the processes that serve it (4 × `toegang serve`, 2 × `toegang worker`), each with
a data folder of its own, as on separate hosts; an SMTP server that keeps what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import email
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import pyotp
from aiosmtpd.controller import Controller

from gql.clock import Clock, FrozenClock
from gql.db import Database
from gql.demo import DEMO_ACCOUNTS, seed
from gql.keys import Purpose
from gql.models.accounts import Usage
from gql.models.invoices import InvoiceRun, RunSource, RunStatus
from gql.models.ledger import EntryKind
from gql.services import mandates
from gql.services.accounts import access_codes
from gql.services.accounts.accounts import new_account
from gql.services.ledger import balance
from gql.services.orders.orders import place_order
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.formatting import AMSTERDAM, local_date
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings
from tests.support.pgcluster import Cluster, wait_for_port
from tests.support.seal import seal_env

BIN = Path(sys.executable).parent
TOEGANG = BIN / "toegang"
SECRET_KEY = "soak-secret-key-that-is-long-enough-0123456789abcdef"
PSP_SECRET = "soak-provider-webhook-secret-0123456789abcdef"
PASSWORD = "een lange zin als wachtwoord 42"
APPS = 4
WORKERS = 2
PRIVATE_USERS = 6
BUSINESS_KVKS = ("90000002", "90000003", "90000004", "90000005")
WRONG_TARGETS = 8  # accounts that only ever get wrong passwords (the load's failed sign-ins)
# The filer: the business demo account, main user of KVK 90000001.
FILER = next(a for a in DEMO_ACCOUNTS if a.usage == Usage.BUSINESS)
# Orders of last month on direct debit: the invoice run during the soak has work to do.
LAST_MONTH_ORDERS = 3


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """A real SMTP server (aiosmtpd): every Message-ID it accepted, in order."""

    port: int
    message_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.message_ids.append(str(parsed["Message-ID"]))
        return "250 Message accepted"

    def received(self) -> list[str]:
        with self.lock:
            return list(self.message_ids)


class Balancer:
    """The deployment's public address (links, webhooks): TCP round-robin over the app
    processes, passing over one that refuses connections, as a load balancer does."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = free_port()
        self.turn = itertools.count()
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopped: asyncio.Event | None = None

    def start(self) -> None:
        threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True).start()
        self.ready.wait(10)

    def stop(self) -> None:
        if self.loop is not None and self.stopped is not None:
            self.loop.call_soon_threadsafe(self.stopped.set)

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.ready.set()
        async with server:
            await self.stopped.wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = next(self.turn)
        for n in range(len(self.ports)):
            try:
                upstream = await asyncio.open_connection(
                    "127.0.0.1", self.ports[(first + n) % len(self.ports)]
                )
                break
            except OSError:
                continue
        else:
            writer.close()
            return

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                with contextlib.suppress(Exception):
                    sink.close()

        await asyncio.gather(pipe(reader, upstream[1]), pipe(upstream[0], writer))


@dataclass
class Seeded:
    """Who the load signs in as (access codes in display form)."""

    private: list[str]
    business: list[str]
    filer: str
    filer_password: str
    wrong_targets: list[str]
    attack: tuple[str, str]
    staff: str
    staff_totp: str
    last_month: str  # YYYY-MM: invoiced during the load (`toegang invoice-run`, staff)


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_healthy(self, timeout: float = 60) -> None:
        if self.port is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited early:\n{self.log_path.read_text()[-3000:]}"
                )
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not healthy after {timeout} s")

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class World:
    backend: str
    root: Path
    database_url: str
    inbox: Inbox
    seeded: Seeded
    apps: list[Process]
    workers: list[Process]
    cluster: Cluster | None = None
    controller: Controller | None = None
    balancer: Balancer | None = None

    @property
    def ports(self) -> list[int]:
        return [p.port for p in self.apps if p.port is not None]

    def env(self, name: str, *, port: int | None = None, app: bool = True) -> dict[str, str]:
        """The environment of one process: its own data folder; the secrets alike for all."""
        return process_env(self, name, port=port, app=app)

    def close(self, *, keep: bool = False) -> None:
        for process in [*self.apps, *self.workers]:
            process.stop()
        if self.controller is not None:
            self.controller.stop()
        if self.balancer is not None:
            self.balancer.stop()
        if self.cluster is not None:
            self.cluster.stop()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


def process_env(world: World, name: str, *, port: int | None, app: bool) -> dict[str, str]:
    data_dir = world.root / name / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    public_port = world.balancer.port if world.balancer else port
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEGANG_")}
    env.update(
        {
            "TOEGANG_ENV": "development",
            "TOEGANG_DATABASE_URL": world.database_url,
            "TOEGANG_DATA_DIR": str(data_dir),
            "TOEGANG_HOST": "127.0.0.1",
            "TOEGANG_PORT": str(port or 8000),
            # One address for all, the load balancer's: links and webhooks go there.
            "TOEGANG_PUBLIC_URL": f"http://127.0.0.1:{public_port}",
            "TOEGANG_SECRET_KEY": SECRET_KEY,
            "TOEGANG_PSP_WEBHOOK_SECRET": PSP_SECRET,
            "TOEGANG_RUN_DISPATCHER": "0" if app else "1",
            "TOEGANG_OUTBOX_POLL_SECONDS": "0.2",
            "TOEGANG_SMTP_HOST": "127.0.0.1",
            "TOEGANG_SMTP_PORT": str(world.inbox.port),
            # OWASP's minimum: the two cores of a test machine go to the requests, not hashes.
            "TOEGANG_ARGON2_MEMORY_KIB": "19456",
            "TOEGANG_ARGON2_TIME_COST": "2",
            "TOEGANG_ARGON2_PARALLELISM": "1",
            "TOEGANG_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"TOEGANG_{k}": v for k, v in seal_env().items()})
    return env


def settings_for(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        env="development",
        database_url=database_url,
        data_dir=data_dir,
        public_url="http://127.0.0.1:8000",
        secret_key=SECRET_KEY,
        psp_webhook_secret=PSP_SECRET,
        argon2_memory_kib=19456,
        argon2_time_cost=2,
        argon2_parallelism=1,
        run_dispatcher=False,
    )


def deps_for(settings: Settings, clock: Clock | None = None) -> Deps:
    hashing = PasswordHashing(
        HashParameters(
            settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
        ),
        concurrency=2,
    )
    return Deps(
        db=Database(settings.database_url),
        hashing=hashing,
        clock=clock or Clock(),
        settings=settings,
    )


def create(backend: str, progress: Any) -> World:
    root = Path(tempfile.mkdtemp(prefix=f"toegang-soak-{backend}-"))
    cluster = None
    if backend == "postgresql":
        cluster = Cluster()
        base = cluster.start()
        asyncio.run(_create_database(base))
        database_url = f"{base}/soak"
    else:
        (root / "shared").mkdir()
        database_url = f"sqlite+aiosqlite:///{root / 'shared' / 'toegang.db'}"
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    world = World(
        backend=backend,
        root=root,
        database_url=database_url,
        inbox=inbox,
        seeded=None,  # type: ignore[arg-type]
        apps=[],
        workers=[],
        cluster=cluster,
        controller=controller,
    )
    try:
        progress(f"{backend}: toegang migrate")
        done = subprocess.run(
            [str(TOEGANG), "migrate"],
            env=world.env("migrate", app=False),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"toegang migrate failed:\n{done.stdout}\n{done.stderr}")
        progress(f"{backend}: seed data")
        world.seeded = asyncio.run(_seed(settings_for(database_url, root / "seed" / "data")))
        ports = [free_port() for _ in range(APPS)]
        world.balancer = Balancer(ports)
        world.balancer.start()
        for n, port in enumerate(ports):
            world.apps.append(
                Process(f"app{n}", [str(TOEGANG), "serve"], {}, root / f"app{n}.log", port=port)
            )
        for n, app in enumerate(world.apps):
            app.env = world.env(f"app{n}", port=app.port)
        for n in range(WORKERS):
            world.workers.append(
                Process(
                    f"worker{n}",
                    [str(TOEGANG), "worker"],
                    world.env(f"worker{n}", app=False),
                    root / f"worker{n}.log",
                )
            )
        progress(f"{backend}: starting {APPS} app and {WORKERS} worker processes")
        for process in [*world.apps, *world.workers]:
            process.start()
        for app in world.apps:
            app.wait_healthy()
            assert app.port is not None
            wait_for_port(app.port)
    except BaseException:
        world.close()
        raise
    return world


async def _create_database(base: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        await conn.execute("CREATE DATABASE soak")
    finally:
        await conn.close()


async def _seed(settings: Settings) -> Seeded:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    deps = deps_for(settings)
    try:
        await seed(deps)
        password_hash = await deps.hashing.hash(PASSWORD)
        now = deps.clock.now()
        private: list[str] = []
        business: list[str] = []
        wrong: list[str] = []
        attack: list[str] = []
        business_ids: list[int] = []
        staff_secret = pyotp.random_base32()
        async with deps.db.write() as session:

            async def account(usage: Usage, name: str, mail: str, **extra: Any) -> Any:
                return await new_account(
                    session,
                    usage=usage,
                    name=name,
                    email=mail,
                    password_hash=password_hash,
                    now=now,
                    **extra,
                )

            for n in range(PRIVATE_USERS):
                made = await account(Usage.PRIVATE, f"Soak {n}", f"soak{n}@example.invalid")
                await balance.credit(
                    session,
                    account_id=made.id,
                    amount_cents=200_000,
                    kind=EntryKind.CORRECTION,
                    now=now,
                )
                private.append(access_codes.display(made.access_code))
            for n, kvk in enumerate(BUSINESS_KVKS):
                made = await account(
                    Usage.BUSINESS,
                    f"Soak Zakelijk {n}",
                    f"zakelijk{n}@example.invalid",
                    kvk_number=kvk,
                )
                if not await mandates.active_company_mandate(session, kvk_number=kvk):
                    await mandates.sign_company_mandate(
                        session,
                        kvk_number=kvk,
                        iban="NL91ABNA0417164300",
                        account_holder=f"Soak {kvk}",
                        now=now - timedelta(days=100),
                    )
                business.append(access_codes.display(made.access_code))
                business_ids.append(made.id)
            for n in range(WRONG_TARGETS):
                made = await account(Usage.PRIVATE, f"Doelwit {n}", f"doelwit{n}@example.invalid")
                wrong.append(access_codes.display(made.access_code))
            for n in range(2):
                made = await account(Usage.PRIVATE, f"Aanval {n}", f"aanval{n}@example.invalid")
                attack.append(access_codes.display(made.access_code))
            staff = await account(
                Usage.STAFF,
                "Sam Soak",
                "soak-staff@kvk.example",
                sealed_totp_secret=deps.keys.seal(Purpose.TOTP_SECRET, staff_secret),
            )
            staff_code = access_codes.display(staff.access_code)
            await session.commit()
        # Direct-debit orders of the two months before, not yet invoiced: the invoice runs'
        # work during the load. A run of last month is on record (as if done before these
        # orders came), so the workers do not start it by themselves before the load.
        first_of_month = local_date(now).replace(day=1)
        last_month_day = first_of_month - timedelta(days=20)
        earlier_day = first_of_month - timedelta(days=45)
        for day in (last_month_day, earlier_day):
            moment = datetime.combine(day, datetime.min.time(), AMSTERDAM).replace(hour=12)
            past = deps_for(settings, FrozenClock(moment.astimezone(UTC)))
            try:
                for account_id in business_ids:
                    for n in range(LAST_MONTH_ORDERS):
                        await place_order(
                            past,
                            caller=Caller(
                                client_ip="127.0.0.1",
                                language="nl",
                                request_id="soak-seed",
                                account_id=account_id,
                            ),
                            product_code="EXTRACT",
                            kvk_number=f"900000{n + 6:02d}",
                            financial_year_end=None,
                            idempotency_key=f"soak-seed-{account_id}-{day}-{n}",
                        )
            finally:
                await past.db.dispose()
        async with deps.db.write() as session:
            session.add(
                InvoiceRun(
                    month=last_month_day.replace(day=1),
                    status=RunStatus.DONE,
                    source=RunSource.COMMAND,
                    requested_at=now,
                    started_at=now,
                    finished_at=now,
                    issued=0,
                )
            )
            await session.commit()
        return Seeded(
            private=private,
            business=business,
            filer=access_codes.display(FILER.access_code),
            filer_password=FILER.password,
            wrong_targets=wrong,
            attack=(attack[0], attack[1]),
            staff=staff_code,
            staff_totp=staff_secret,
            last_month=last_month_day.strftime("%Y-%m"),
        )
    finally:
        await deps.db.dispose()
