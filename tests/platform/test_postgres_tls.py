"""PostgreSQL over verified TLS, and the two database roles of docs/postgresql-roles.sql.

One cluster of this module's own takes TLS connections only, with a certificate for
127.0.0.1 issued by a certificate authority made for the test (trustme). Its databases are
set up as the SQL file says: the file, the migrations as the owner role, the file again.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import trustme
from sqlalchemy import text
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.db import Database
from gql.migrate import head_revision, upgrade
from gql.settings import Settings
from tests.conftest import BACKENDS
from tests.support.api import gql, http_client, make_settings, running_app
from tests.support.backoffice import AUDIT_TRAIL, KVK, NEW_POSTAL, RECORD_ADDRESS, STAFF_IP
from tests.support.factories import add_company, staff_client_login
from tests.support.live import ROOT, free_port, run_toegang, server_env
from tests.support.pgcluster import Cluster

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="PostgreSQL not among TOEGANG_TEST_BACKENDS"
)

ROLES_SQL = ROOT / "docs" / "postgresql-roles.sql"
OWNER = "toegang_owner"
APP = "toegang_app"
TEMPLATE = "toegang_roles_template"
IS_TLS = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


@dataclass(frozen=True, slots=True)
class TlsServer:
    port: int
    ca_file: Path

    def url(self, role: str, database: str, *, host: str = "127.0.0.1") -> str:
        return f"postgresql+asyncpg://{role}@{host}:{self.port}/{database}"

    async def connect(
        self, role: str = "postgres", database: str = "postgres"
    ) -> asyncpg.Connection:
        """A plain asyncpg connection over verified TLS, for what the app itself never does."""
        return await asyncpg.connect(
            host="127.0.0.1",
            port=self.port,
            user=role,
            database=database,
            ssl=ssl.create_default_context(cafile=self.ca_file),
        )

    async def execute(self, database: str, sql: str, *, role: str = "postgres") -> None:
        conn = await self.connect(role, database)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create_database(self, name: str, *, template: str = "template0") -> None:
        await self.execute(
            "postgres", f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY"
        )

    async def drop_database(self, name: str) -> None:
        await self.execute("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    async def apply_roles_sql(self, database: str) -> None:
        """docs/postgresql-roles.sql exactly as written, as the superuser."""
        await self.execute(database, ROLES_SQL.read_text())


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """The cluster, and a template database set up with the two roles as documented."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("postgres-tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cluster = Cluster(tls=ca.issue_cert("127.0.0.1"))
    cluster.start()
    try:
        server = TlsServer(cluster.port, ca_file)
        asyncio.run(server.create_database(TEMPLATE))
        asyncio.run(server.apply_roles_sql(TEMPLATE))
        upgrade(server.url(OWNER, TEMPLATE), ca_file=ca_file)
        asyncio.run(server.apply_roles_sql(TEMPLATE))
        yield server
    finally:
        cluster.stop()


@pytest.fixture
async def database(tls_server: TlsServer) -> AsyncIterator[str]:
    """A fresh copy of the template (the file runs again: a copy has default database grants)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    await tls_server.create_database(name, template=TEMPLATE)
    await tls_server.apply_roles_sql(name)
    yield name
    await tls_server.drop_database(name)


def app_role_settings(server: TlsServer, database: str, tmp_path: Path) -> Settings:
    """The app as it runs in production: the application role, verified TLS."""
    return make_settings(
        server.url(APP, database), tmp_path / "data", database_ca_file=server.ca_file
    )


async def record_an_address_change(app: Starlette) -> dict[str, Any]:
    """A staff member signs in and records a change: one audit event. Returns the trail."""
    await add_company(app)
    async with http_client(app, ip=STAFF_IP) as staff:
        await staff_client_login(app, staff)
        body = await gql(
            staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
        )
        assert body["data"]["staffRecordAddressChange"]["__typename"] == (
            "StaffRecordAddressChangePayload"
        ), body
        return await gql(staff, AUDIT_TRAIL)


async def audit_events(server: TlsServer, database: str) -> list[tuple[object, ...]]:
    conn = await server.connect("postgres", database)
    try:
        return [tuple(row) for row in await conn.fetch("SELECT * FROM audit_event ORDER BY id")]
    finally:
        await conn.close()


# --- TLS ----------------------------------------------------------------------------------------


async def test_the_app_talks_to_postgresql_over_tls_with_the_ca_file(
    tls_server: TlsServer, database: str, tmp_path: Path, clock: FrozenClock
) -> None:
    # given
    settings = app_role_settings(tls_server, database, tmp_path)

    # when
    async with running_app(settings, clock) as app, http_client(app) as client:
        ready = await client.get("/readyz")
        async with app.state.deps.db.read() as session:
            encrypted = await session.scalar(text(IS_TLS))

    # then
    assert ready.status_code == 200, ready.text
    assert encrypted is True


async def test_a_server_certificate_issued_for_another_host_name_is_refused(
    tls_server: TlsServer, database: str
) -> None:
    # given: the certificate names 127.0.0.1; the URL names localhost (the same server)
    db = Database(tls_server.url(APP, database, host="localhost"), ca_file=tls_server.ca_file)

    # when / then
    try:
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def test_a_server_certificate_from_another_authority_is_refused(
    tls_server: TlsServer, database: str, tmp_path: Path
) -> None:
    # given: a CA file of an authority that did not issue the server's certificate
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    db = Database(tls_server.url(APP, database), ca_file=other_ca)

    # when / then
    try:
        with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def test_a_server_that_offers_no_tls_is_refused_rather_than_spoken_to_in_plain_text(
    tls_server: TlsServer, postgres_server: str
) -> None:
    # given: the suite's own cluster, which has TLS off (as a server in the middle could say)
    db = Database(f"{postgres_server}/postgres", ca_file=tls_server.ca_file)

    # when / then
    try:
        with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()


def test_migrations_verify_the_server_too(tls_server: TlsServer) -> None:
    # when / then: nothing is migrated over a connection to an unproven server
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        upgrade(tls_server.url(OWNER, TEMPLATE, host="localhost"), ca_file=tls_server.ca_file)


# --- The two roles ------------------------------------------------------------------------------


def test_toegang_migrate_signs_in_as_the_migration_role_over_verified_tls(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    # given: a new database with the roles of the SQL file, nothing migrated yet
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(tls_server.create_database(name))
    asyncio.run(tls_server.apply_roles_sql(name))
    env = server_env(
        database_url=tls_server.url(APP, name),
        data_dir=tmp_path / "data",
        port=free_port(),
        TOEGANG_MIGRATION_DATABASE_URL=tls_server.url(OWNER, name),
        TOEGANG_DATABASE_CA_FILE=str(tls_server.ca_file),
    )

    async def owners_and_revision() -> tuple[set[str], str]:
        conn = await tls_server.connect("postgres", name)
        try:
            owners = {
                r["tableowner"]
                for r in await conn.fetch(
                    "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            return owners, await conn.fetchval("SELECT version_num FROM alembic_version")
        finally:
            await conn.close()

    try:
        # when
        run_toegang(["migrate"], env)

        # then
        owners, revision = asyncio.run(owners_and_revision())
        assert owners == {OWNER}
        assert revision == head_revision()
    finally:
        asyncio.run(tls_server.drop_database(name))


async def test_the_application_role_does_its_work_and_adds_to_and_reads_the_audit_trail(
    tls_server: TlsServer, database: str, tmp_path: Path, clock: FrozenClock
) -> None:
    # given
    settings = app_role_settings(tls_server, database, tmp_path)

    # when
    async with running_app(settings, clock) as app, http_client(app) as client:
        ready = await client.get("/readyz")
        trail = await record_an_address_change(app)

    # then
    assert ready.status_code == 200, ready.text
    edges = trail["data"]["staff"]["auditTrail"]["edges"]
    assert [e["node"]["action"] for e in edges] == ["register.address_changed"]


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_event SET action = 'nothing.happened'", id="update"),
        pytest.param("DELETE FROM audit_event", id="delete"),
        pytest.param("TRUNCATE audit_event", id="truncate"),
        # The way around the append-only triggers:
        pytest.param("ALTER TABLE audit_event DISABLE TRIGGER USER", id="alter"),
        pytest.param("DROP TRIGGER audit_event_append_only ON audit_event", id="drop-trigger"),
        pytest.param("DROP TABLE audit_event", id="drop"),
        pytest.param("ALTER TABLE account ADD COLUMN note text", id="alter-another-table"),
        pytest.param("CREATE TABLE note (body text)", id="create-table"),
    ],
)
async def test_the_application_role_cannot_change_remove_or_alter_the_audit_trail(
    tls_server: TlsServer, database: str, tmp_path: Path, clock: FrozenClock, statement: str
) -> None:
    # given: one audit event, written by the app signed in as the application role
    async with running_app(app_role_settings(tls_server, database, tmp_path), clock) as app:
        await record_an_address_change(app)
    before = await audit_events(tls_server, database)
    conn = await tls_server.connect(APP, database)

    # when / then: refused for want of privilege, before any trigger could refuse it
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
    finally:
        await conn.close()
    after = await audit_events(tls_server, database)
    assert len(before) == 1
    assert after == before


async def test_a_table_that_a_later_migration_makes_is_usable_by_the_application_role(
    tls_server: TlsServer, database: str
) -> None:
    # given: a later migration, run as the owner, makes a table
    await tls_server.execute(
        database, "CREATE TABLE later_note (id serial PRIMARY KEY, body text)", role=OWNER
    )
    conn = await tls_server.connect(APP, database)

    # when
    try:
        await conn.execute("INSERT INTO later_note (body) VALUES ('first')")
        await conn.execute("UPDATE later_note SET body = 'second'")
        kept = await conn.fetchval("SELECT body FROM later_note")
        await conn.execute("DELETE FROM later_note")
        left = await conn.fetchval("SELECT count(*) FROM later_note")
    finally:
        await conn.close()

    # then
    assert (kept, left) == ("second", 0)
