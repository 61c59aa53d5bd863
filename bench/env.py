"""The benchmark's world: a fresh database with the demo data, signed-in sessions and orders."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gql.clock import Clock
from gql.db import Database
from gql.demo import DEMO_ACCOUNTS, seed
from gql.migrate import upgrade
from gql.models.accounts import Account, Usage
from gql.models.ledger import EntryKind
from gql.services.accounts import sessions
from gql.services.accounts.accounts import new_account
from gql.services.ledger import balance
from gql.services.orders.orders import place_order
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.hashing import HashParameters, PasswordHashing
from gql.settings import Settings

SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
# The business demo account: main user of Bakkerij De Zon B.V. (KVK 90000001).
ACCOUNT = next(a for a in DEMO_ACCOUNTS if a.usage == "BUSINESS")
_CALLER = Caller(client_ip="127.0.0.1", language="nl", request_id="bench")
# Access codes use no 0, 1, O, I or L.
_NO_LOOKALIKES = str.maketrans("01", "XY")


@dataclass(frozen=True, slots=True)
class World:
    directory: Path
    settings: Settings
    token: str  # a live session of ACCOUNT (cookie value)
    buyer_token: str  # a live session of BUYER, a private account with a large balance
    sign_in_codes: tuple[str, ...]  # accounts with ACCOUNT's password, for logIn under load
    cluster: Any = None  # the throwaway PostgreSQL cluster, if any

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def env(self, port: int) -> dict[str, str]:
        """TOEGANG_* variables for `toegang serve` on this world."""
        # Nothing of the caller's own TOEGANG_* settings: the server must run this world.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("TOEGANG_")}
        return {
            **inherited,
            "TOEGANG_DATABASE_URL": self.settings.database_url,
            "TOEGANG_DATA_DIR": str(self.settings.data_dir),
            "TOEGANG_SECRET_KEY": SECRET_KEY,
            "TOEGANG_HOST": "127.0.0.1",
            "TOEGANG_PORT": str(port),
            "TOEGANG_PUBLIC_URL": self.settings.public_url,
            "TOEGANG_RUN_DISPATCHER": "0",
            "TOEGANG_LOG_LEVEL": "INFO",
        }


def make_settings(directory: Path, database_url: str | None = None) -> Settings:
    """Production-default argon2id (m=64 MiB, t=3, p=4) and the loopback cookie name."""
    return Settings(
        env="development",
        database_url=database_url or f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        data_dir=directory / "data",
        public_url="http://127.0.0.1:8000",
        secret_key=SECRET_KEY,
        run_dispatcher=False,
    )


# The orders page: ACCOUNT's organisation has this many orders (besides the demo's), about
# ORDER_COMPANIES companies and three products, so a page of 20 batches several of each.
ORDERS = 22
ORDER_COMPANIES = 12
ORDER_PRODUCTS = ("EXTRACT", "COMPANY_PROFILE", "CERTIFIED_EXTRACT_DIGITAL")
# placeOrder: a private account paying from a balance no benchmark run spends.
BUYER_EMAIL = "koper@example.invalid"
BUYER_BALANCE_CENTS = 1_000_000_000

# logIn under load rotates over this many accounts: each code+address pair counts attempts in
# flight (throttle.claim_sign_in_attempt), so 32 connections on one code would be throttled.
SIGN_IN_ACCOUNTS = 96


async def _orders(deps: Deps, account_id: int) -> None:
    """ORDERS orders of ACCOUNT (direct debit on its organisation's mandate), placed through
    the service, so each has its document as a real order does."""
    caller = Caller(client_ip="127.0.0.1", language="nl", request_id="bench", account_id=account_id)
    for n in range(ORDERS):
        await place_order(
            deps,
            caller=caller,
            product_code=ORDER_PRODUCTS[n % len(ORDER_PRODUCTS)],
            kvk_number=f"900000{n % ORDER_COMPANIES + 1:02d}",
            financial_year_end=None,
            idempotency_key=str(uuid.uuid4()),
        )


async def _buyer(deps: Deps, password_hash: str) -> str:
    """A private account with BUYER_BALANCE_CENTS on its balance; returns a session token."""
    async with deps.db.write() as session:
        now = deps.clock.now()
        buyer = await new_account(
            session,
            usage=Usage.PRIVATE,
            name="Bench Koper",
            email=BUYER_EMAIL,
            password_hash=password_hash,
            now=now,
        )
        assert buyer.id is not None
        await balance.credit(
            session,
            account_id=buyer.id,
            amount_cents=BUYER_BALANCE_CENTS,
            kind=EntryKind.CORRECTION,
            now=now,
        )
        token, _ = await sessions.start(session, account_id=buyer.id, now=now, caller=_CALLER)
        await session.commit()
    return token


async def _seed(settings: Settings) -> tuple[str, str, tuple[str, ...]]:
    db = Database(settings.database_url, ca_file=settings.database_ca_file)
    hashing = PasswordHashing(
        HashParameters(
            settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
        ),
        concurrency=settings.hash_concurrency,
    )
    deps = Deps(db=db, hashing=hashing, clock=Clock(), settings=settings)
    try:
        await seed(deps)
        codes = tuple(f"BNCH{n:04d}ZZZZ".translate(_NO_LOOKALIKES) for n in range(SIGN_IN_ACCOUNTS))
        async with db.write() as session:
            password_hash = await session.scalar(
                select(Account.password_hash).where(Account.access_code == ACCOUNT.access_code)
            )
            now = deps.clock.now()
            for n, code in enumerate(codes):
                await new_account(
                    session,
                    access_code=code,
                    usage=Usage.PRIVATE,
                    name=f"Bench {n}",
                    email=f"bench{n}@example.invalid",
                    password_hash=password_hash,
                    now=now,
                )
            account_id = await session.scalar(
                select(Account.id).where(Account.access_code == ACCOUNT.access_code)
            )
            token, _ = await sessions.start(
                session, account_id=account_id, now=deps.clock.now(), caller=_CALLER
            )
            await session.commit()
        assert account_id is not None and password_hash is not None
        await _orders(deps, account_id)
        buyer_token = await _buyer(deps, password_hash)
        return token, buyer_token, codes
    finally:
        await db.dispose()


def create_world(backend: str = "sqlite") -> World:
    """Migrate and seed a database in a fresh temporary folder (removed by `close`).

    PostgreSQL: a throwaway cluster on a free loopback port, as the tests start it.
    """
    directory = Path(tempfile.mkdtemp(prefix="toegang-bench-"))
    cluster = None
    database_url = None
    if backend == "postgresql":
        from tests.support.pgcluster import Cluster

        cluster = Cluster()
        base = cluster.start()
        asyncio.run(_create_database(base))
        database_url = f"{base}/bench"
    settings = make_settings(directory, database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    token, buyer_token, codes = asyncio.run(_seed(settings))
    return World(
        directory=directory,
        settings=settings,
        token=token,
        buyer_token=buyer_token,
        sign_in_codes=codes,
        cluster=cluster,
    )


async def _create_database(base: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        await conn.execute("CREATE DATABASE bench")
    finally:
        await conn.close()
