"""Uploads are limited while the body streams: size, parts, and the memory of the server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.models.files import StoredFile
from tests.support.live import LiveServer, free_port, live_server, server_env

BOUNDARY = "toegang-test-boundary"
MIB = 1024 * 1024


def multipart_head(total: int | None = None) -> bytes:
    lines = [
        "POST /graphql HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        "GraphQL-Require-Preflight: 1",
        "Transfer-Encoding: chunked" if total is None else f"Content-Length: {total}",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


def file_part_start() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ).encode()


def chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.fixture
def server(tmp_path: Path, sqlite_url: str) -> Iterator[LiveServer]:
    env = server_env(
        database_url=sqlite_url,
        data_dir=tmp_path / "data",
        port=free_port(),
        TOEGANG_RUN_DISPATCHER="0",
    )
    with live_server(env, log_path=tmp_path / "server.log") as running:
        yield running


def peak_and_current_kib(pid: int) -> tuple[int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def send_until_refused(url: str, total_bytes: int) -> tuple[int, bytes]:
    """Stream a multipart body of `total_bytes` (chunked); stop at the server's answer.

    Returns how many body bytes were sent when the answer came, and the answer's head.
    """
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(multipart_head())
        sock.sendall(chunked(file_part_start()))
        sock.setblocking(False)
        frame = chunked(b"\x00" * (256 * 1024))
        pending = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            except OSError:
                break
            if answer:
                break
            if not pending:
                if sent >= total_bytes:
                    time.sleep(0.01)
                    continue
                pending = frame
                sent += len(frame)
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    return sent, answer


def test_a_body_over_the_limit_is_refused_while_it_streams_and_the_server_stops_reading(
    server: LiveServer,
) -> None:
    # given: the default limit of 25 MiB, and a client that would send 256 MiB
    # when
    sent, answer = send_until_refused(server.url, 256 * MIB)
    # then: 413 came while the client was still sending, long before the end
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 64 * MIB


def test_a_1_gib_body_streams_into_a_refusal_and_the_server_stays_small(
    server: LiveServer,
) -> None:
    # given: the server's memory at rest, after one request
    with server.client() as client:
        assert client.get("/healthz").status_code == 200
    _, idle = peak_and_current_kib(server.process.pid)
    # when: a client offers a 1 GiB upload
    sent, answer = send_until_refused(server.url, 1024 * MIB)
    # then
    peak, _ = peak_and_current_kib(server.process.pid)
    assert answer.startswith(b"HTTP/1.1 413")
    assert sent < 1024 * MIB
    assert peak - idle < 64 * 1024, (peak, idle)


async def test_a_request_of_1001_parts_is_refused_and_nothing_is_stored(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    files = {str(n): (f"{n}.pdf", b"%PDF-1.7", "application/pdf") for n in range(1001)}
    # when
    response = await client.post(
        "/graphql",
        data={"operations": '{"query": "{ __typename }"}', "map": "{}"},
        files=files,
        headers={"graphql-require-preflight": "1"},
    )
    # then
    assert response.status_code == 400
    assert "Too many files" in response.json()["errors"][0]["message"]
    async with app.state.deps.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(StoredFile)) == 0
