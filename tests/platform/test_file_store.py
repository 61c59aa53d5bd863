"""The file store: files in the database, never changed, letters kept there for staff only."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.files import store
from gql.mail.dispatcher import Dispatcher
from gql.mail.sender import make_senders
from gql.models.files import StoredFile
from gql.models.outbox import OutboxMessage
from gql.worker import run_retention
from tests.support.api import gql, http_client
from tests.support.backoffice import add_request, request_ids
from tests.support.factories import APPROVE, add_company


async def test_a_file_of_several_chunks_comes_back_byte_for_byte_with_its_sha256(
    app: Starlette,
) -> None:
    # given: 2.5 chunks of random bytes
    content = os.urandom(store.CHUNK_BYTES * 2 + store.CHUNK_BYTES // 2)
    db = app.state.deps.db
    # when
    async with db.write() as session:
        stored = await store.put(
            session,
            io.BytesIO(content),
            content_type="application/octet-stream",
            filename="x.bin",
            owner_kind="test",
            now=app.state.deps.clock.now(),
        )
        await session.commit()
    found = await store.info(db, stored.id)
    # then
    assert found is not None and (found.size, found.chunks) == (len(content), 3)
    assert found.sha256 == hashlib.sha256(content).hexdigest()
    assert await store.read_all(db, found) == content


@pytest.mark.parametrize("table", ["stored_file", "file_chunk"])
async def test_the_database_refuses_to_change_a_stored_file(app: Starlette, table: str) -> None:
    # given
    db = app.state.deps.db
    async with db.write() as session:
        stored = await store.put(
            session,
            io.BytesIO(b"%PDF-1.7 original"),
            content_type="application/pdf",
            filename="x.pdf",
            owner_kind="test",
            now=app.state.deps.clock.now(),
        )
        await session.commit()
    column = "filename = 'other.pdf'" if table == "stored_file" else "seq = seq + 10"
    key = "id" if table == "stored_file" else "file_id"
    # when / then
    with pytest.raises(Exception, match="never change"):
        async with db.write() as session:
            await session.execute(text(f"UPDATE {table} SET {column} WHERE {key} = {stored.id}"))
            await session.commit()
    assert await store.read_all(db, stored) == b"%PDF-1.7 original"


async def test_a_letter_is_kept_in_the_file_store_for_staff_and_removed_after_its_period(
    app: Starlette, staff: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given: a business code approved for an e-mail outside the register: it goes by letter
    deps = app.state.deps
    await add_company(app, email="info@testbedrijf.example")
    await add_request(app, "bea@example.nl")
    ids = await request_ids(staff)
    await gql(staff, APPROVE, {"input": {"requestId": ids["bea@example.nl"]}})
    # when: the dispatcher sends it
    await Dispatcher(
        deps.db, deps.settings, deps.clock, make_senders(deps.settings, deps.db)
    ).run_once()
    async with deps.db.read() as session:
        letter = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "POST"))
        ).scalar_one()
    # then: the stored PDF is the copy in the data folder, and only staff may fetch it
    assert letter.file_id is not None
    stored = await store.info(deps.db, letter.file_id)
    assert stored is not None and stored.owner_kind == "letter"
    [copy] = (deps.settings.data_dir / "letters").glob("*.pdf")
    assert await store.read_all(deps.db, stored) == copy.read_bytes()
    assert (await staff.get(f"/files/{stored.id}")).content == copy.read_bytes()
    async with http_client(app) as anonymous:
        assert (await anonymous.get(f"/files/{stored.id}")).status_code == 404
    # and after the letter period the stored letter goes, the filing-free rest stays
    clock.advance(days=deps.settings.retention_letter_days + 1)
    done = await run_retention(deps, now=clock.now() + timedelta(seconds=1))
    assert done["stored letters removed"] == 1
    async with deps.db.read() as session:
        assert (await session.execute(select(StoredFile))).first() is None
