"""A server killed while it stores uploads leaves no filing without its file and no stray chunks."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import sqlite3
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF
from PIL import Image

from gql.db import Database
from gql.models.accounts import Usage
from gql.models.register import Company
from gql.services.accounts.accounts import new_account
from gql.services.shared.hashing import HashParameters, PasswordHashing
from tests.support.documents import KVK_NUMBER
from tests.support.factories import PASSWORD
from tests.support.live import LiveServer, free_port, live_server, server_env

pytestmark = pytest.mark.e2e

FILE = """
mutation File($input: FileAnnualReportInput!) {
  fileAnnualReport(input: $input) { __typename ... on FileAnnualReportPayload { version { sha256 } } }
}
"""
LOG_IN = """
mutation { logIn(input: {accessCode: "%s", password: "%s", session: TOKEN,
  deviceName: "Durability test"}) {
  ... on LogInPayload { token } } }
"""
ROUNDS = 3


def big_pdf(seed: int) -> bytes:
    """A real PDF of about 3 MiB (a page with a random image): several chunks to store."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (1000, 1000), rng.randbytes(1000 * 1000 * 3))
    png = io.BytesIO()
    image.save(png, format="PNG", compress_level=0)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(png.getvalue()), w=180)
    return bytes(pdf.output())


async def prepare(url: str) -> str:
    """A company that files, and its main user; returns the access code."""
    db = Database(url)
    hashing = PasswordHashing(HashParameters(19456, 2, 1), concurrency=1)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    async with db.write() as session:
        session.add(
            Company(
                kvk_number=KVK_NUMBER,
                name="Duurzaam B.V.",
                legal_form="Besloten Vennootschap",
                visiting_street="Straat",
                visiting_house_number="1",
                visiting_postal_code="1234 AB",
                visiting_city="Utrecht",
                updated_at=now,
            )
        )
        await session.flush()
        account = await new_account(
            session,
            usage=Usage.BUSINESS,
            name="Filer Fien",
            email="fien@duurzaam.nl",
            kvk_number=KVK_NUMBER,
            is_main_user=True,
            password_hash=await hashing.hash(PASSWORD),
            now=now,
        )
        await session.commit()
    await db.dispose()
    return account.access_code


async def upload_until_killed(
    server: LiveServer, code: str, pdfs: list[bytes], acked: set[str], first_year: int
) -> int:
    async with server.async_client() as http:
        token = (await http.post("/graphql", json={"query": LOG_IN % (code, PASSWORD)})).json()[
            "data"
        ]["logIn"]["token"]
        headers = {"authorization": f"Bearer {token}", "graphql-require-preflight": "1"}
        lost = 0

        # Years of their own per round, so each round's acknowledgements are new ones.
        years = iter(range(first_year, first_year + 300))

        async def keep_filing() -> None:
            nonlocal lost
            while True:
                n = next(years)
                if not await one(n):
                    return

        async def one(n: int) -> bool:
            nonlocal lost
            year = f"{n}-12-31"
            operations = {
                "query": FILE,
                "variables": {
                    "input": {"kvkNumber": KVK_NUMBER, "financialYearEnd": year, "document": None}
                },
            }
            import orjson

            try:
                response = await http.post(
                    "/graphql",
                    data={
                        "operations": orjson.dumps(operations).decode(),
                        "map": '{"0": ["variables.input.document"]}',
                    },
                    files={"0": ("j.pdf", pdfs[n % len(pdfs)], "application/pdf")},
                    headers=headers,
                )
                result = response.json()["data"]["fileAnnualReport"]
                assert result["version"]["sha256"]
                acked.add(year)
                return True
            except (httpx.TransportError, ValueError, KeyError, TypeError):
                lost += 1
                return False

        before = len(acked)
        tasks = [asyncio.create_task(keep_filing()) for _ in range(4)]
        # At least one upload acknowledged in this round (however slow the machine), then
        # the kill at a random moment while the others are on their way.
        for _ in range(600):
            if len(acked) > before or all(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(random.uniform(0.0, 0.6))
        server.kill()
        await asyncio.gather(*tasks)
        return lost


async def test_a_server_killed_while_storing_uploads_leaves_no_filing_without_its_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given
    code = await prepare(sqlite_url)
    pdfs = [big_pdf(n) for n in range(3)]
    acked: set[str] = set()
    lost = 0
    for round_ in range(ROUNDS):
        env = server_env(
            database_url=sqlite_url,
            data_dir=tmp_path / "data",
            port=free_port(),
            TOEGANG_RUN_DISPATCHER="0",
        )
        # when: uploads are on their way when the process is killed
        with live_server(env, log_path=tmp_path / f"server-{round_}.log") as server:
            lost += await upload_until_killed(server, code, pdfs, acked, 1000 + 300 * round_)
        # then, after each kill
        path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            files = db.execute("SELECT id, chunks, size, sha256 FROM stored_file").fetchall()
            for file_id, chunks, size, _ in files:
                stored = db.execute(
                    "SELECT count(*), coalesce(sum(length(data)), 0) FROM file_chunk "
                    "WHERE file_id = ?",
                    (file_id,),
                ).fetchone()
                assert stored == (chunks, size), file_id
            owned = {f for (f,) in db.execute("SELECT file_id FROM annual_report_version")}
            assert {f[0] for f in files} == owned  # no file without its filing, nor the reverse
            stray = db.execute(
                "SELECT count(*) FROM file_chunk WHERE file_id NOT IN (SELECT id FROM stored_file)"
            ).fetchone()
            assert stray == (0,)
            filed = {
                str(year)
                for (year,) in db.execute(
                    "SELECT financial_year_end FROM annual_report r "
                    "JOIN annual_report_version v ON v.report_id = r.id"
                )
            }
        assert acked <= filed  # every acknowledged upload is there
    assert lost, "no upload was in flight at any kill"
    assert len(acked) >= ROUNDS
