"""Demo data (accounts whose passwords are in the README) goes into development databases only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select, text

from gql.app import create_app
from gql.clock import FrozenClock
from gql.db import Database
from gql.demo import DEMO_ACCOUNTS, NotADevelopmentDatabase, seed
from gql.migrate import upgrade
from gql.models.accounts import Account
from gql.models.deployment import DatabaseMark
from tests.support.api import make_settings

INSERT_ACCOUNT = text(
    "INSERT INTO account (access_code, usage, name, email, email_normalized, is_main_user, "
    "password_hash, language, active, created_at, password_changed_at) VALUES "
    "('REAL23456789', 'PRIVATE', 'Echt', 'echt@example.nl', 'echt@example.nl', 0, 'x', 'nl', 1, "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)
INSERT_COMPANY = text(
    "INSERT INTO company (kvk_number, name, legal_form, visiting_street, visiting_house_number, "
    "visiting_postal_code, visiting_city, updated_at) VALUES ('90000001', 'Echte Bakkerij B.V.', "
    "'Besloten Vennootschap', 'Markt', '1', '1234 AB', 'Utrecht', '2026-01-01 00:00:00')"
)


def deps_for(url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(make_settings(url, tmp_path / "data"), clock=FrozenClock())
    return app.state.deps


async def execute(url: str, statement: object) -> None:
    database = Database(url)
    async with database.write() as session:
        await session.execute(statement)  # type: ignore[call-overload]
        await session.commit()
    await database.dispose()


async def development_mark(url: str) -> bool:
    database = Database(url)
    async with database.read() as session:
        mark = await session.get(DatabaseMark, 1)
    await database.dispose()
    assert mark is not None
    return mark.development


async def test_a_database_first_migrated_in_production_refuses_demo_data(tmp_path: Path) -> None:
    # given
    url = f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}"
    await asyncio.to_thread(upgrade, url, environment="production")
    deps = deps_for(url, tmp_path)
    # when / then
    assert await development_mark(url) is False
    with pytest.raises(NotADevelopmentDatabase):
        await seed(deps)
    async with deps.db.read() as session:
        assert list((await session.execute(select(Account.id))).scalars()) == []
    await deps.db.dispose()


async def test_a_database_that_held_real_accounts_when_marked_refuses_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: migrated without TOEGANG_ENV, up to the mark, while it held a real account
    monkeypatch.delenv("TOEGANG_ENV", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await asyncio.to_thread(upgrade, url, "0004")
    await execute(url, INSERT_ACCOUNT)
    # when
    await asyncio.to_thread(upgrade, url)
    deps = deps_for(url, tmp_path)
    # then
    assert await development_mark(url) is False
    with pytest.raises(NotADevelopmentDatabase):
        await seed(deps)
    await deps.db.dispose()


async def test_demo_accounts_attach_only_to_companies_that_seed_demo_made(tmp_path: Path) -> None:
    # given: a development database in which a real company holds a demo KVK number
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade, url)
    await execute(url, INSERT_COMPANY)
    deps = deps_for(url, tmp_path)
    # when
    created = await seed(deps)
    again = await seed(deps)
    # then: the private demo account exists, the business one was not attached to it
    assert [d.usage for d in created] == ["PRIVATE"]
    assert again == []
    async with deps.db.read() as session:
        attached = await session.scalar(select(Account.id).where(Account.kvk_number == "90000001"))
    assert attached is None
    await deps.db.dispose()


async def test_serve_in_production_refuses_to_start_while_a_demo_access_code_exists(
    tmp_path: Path,
) -> None:
    # given: a development database with demo data, then served as production
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade, url)
    deps = deps_for(url, tmp_path)
    await seed(deps)
    await deps.db.dispose()
    production = make_settings(
        url, tmp_path / "data", env="production", public_url="https://toegang.example"
    )
    # when / then
    app = create_app(production, clock=FrozenClock())
    with pytest.raises(RuntimeError, match="demo access code"):
        async with LifespanManager(app):
            pass
    assert {d.access_code for d in DEMO_ACCOUNTS}
