"""The `toegang` command, run as a person would: migrate, seed-demo, create-staff, export-schema."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from gql.schema.root import schema
from tests.support.live import TOEGANG, free_port, run_toegang, server_env
from tests.support.seal import CREDITOR_ENV, seal_env


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    return server_env(database_url=sqlite_url, data_dir=tmp_path / "data", port=free_port())


def counts(sqlite_url: str) -> tuple[int, int, int]:
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        return tuple(  # type: ignore[return-value]
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("company", "account", "direct_debit_mandate")
        )


def test_seed_demo_loads_at_least_20_companies_and_two_accounts_and_twice_changes_nothing(
    env: dict[str, str], sqlite_url: str
) -> None:
    # when
    first = run_toegang(["seed-demo"], env)
    after_first = counts(sqlite_url)
    second = run_toegang(["seed-demo"], env)
    # then
    companies, accounts, mandates = after_first
    assert companies >= 20
    assert (accounts, mandates) == (2, 1)
    assert counts(sqlite_url) == after_first
    assert "2 accounts added" in first.stdout
    assert "0 accounts added" in second.stdout
    assert "DEMA-PRVT-2345" in second.stdout  # it says how to sign in, every time
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        orders = db.execute(
            "SELECT o.product_code, o.status, a.usage FROM product_order o "
            "JOIN account a ON a.id = o.account_id"
        ).fetchall()
    # both demo accounts have orders, every one with its document; one is sealed
    assert {usage for _, _, usage in orders} == {"PRIVATE", "BUSINESS"}
    assert {status for _, status, _ in orders} == {"DELIVERED"}
    assert "CERTIFIED_EXTRACT_DIGITAL" in {product for product, _, _ in orders}


def test_seed_demo_is_refused_in_production(env: dict[str, str], sqlite_url: str) -> None:
    # given
    production = env | {
        "TOEGANG_ENV": "production",
        "TOEGANG_PUBLIC_URL": "https://toegang.example",
        "TOEGANG_SECRET_KEY": "k" * 64,
        "TOEGANG_SMTP_HOST": "smtp.toegang.example",
        "TOEGANG_SMTP_TLS": "starttls",
        "TOEGANG_PSP_SANDBOX_IN_PRODUCTION": "1",
        **{f"TOEGANG_{k}": v for k, v in (seal_env() | CREDITOR_ENV).items()},
    }
    # when
    done = subprocess.run(
        [str(TOEGANG), "seed-demo"], env=production, capture_output=True, text=True, timeout=60
    )
    # then
    assert done.returncode != 0
    assert "refused in production" in done.stderr
    assert counts(sqlite_url) == (0, 0, 0)


def test_create_staff_refuses_a_weak_password_and_creates_nothing(
    env: dict[str, str], sqlite_url: str
) -> None:
    # when
    done = subprocess.run(
        [
            str(TOEGANG),
            "create-staff",
            "--name",
            "Sam Medewerker",
            "--email",
            "sam@kvk.example",
            "--password-stdin",
        ],
        env=env,
        input="kort\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then
    assert done.returncode != 0
    assert "password: The password must be at least" in done.stderr
    assert "reference" not in done.stderr
    assert counts(sqlite_url)[1] == 0


def test_export_schema_prints_the_schema_the_code_builds(env: dict[str, str]) -> None:
    done = run_toegang(["export-schema"], env)
    assert done.stdout == schema.as_str().rstrip("\n") + "\n"
