"""A throwaway PostgreSQL cluster for the test run (initdb refuses root: run as postgres).

With `tls=` (a trustme certificate) it takes TLS connections only, like a production server
should: `ssl=on` with that certificate, and `hostssl` lines alone in pg_hba.conf.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import trustme

# TLS connections only: a plain one finds no line and is refused. The socket is the superuser's.
_TLS_HBA = """\
local   all all              trust
hostssl all all 127.0.0.1/32 trust
hostssl all all ::1/128      trust
"""


def _bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """initdb + pg_ctl start on 127.0.0.1 with durability off (tests only)."""

    def __init__(self, *, tls: trustme.LeafCert | None = None) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="toegang-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        self.tls = tls

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        if self.tls is not None:
            options += self._configure_tls(self.tls)
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "30",
            "start",
        )
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    def _configure_tls(self, leaf: trustme.LeafCert) -> str:
        """Write the certificate, its key and a TLS-only pg_hba.conf; the server options."""
        cert = self.root / "server.crt"
        key = self.root / "server.key"
        cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key.touch(mode=0o600)  # the server refuses a key that others can read
        key.write_bytes(leaf.private_key_pem.bytes())
        (self.datadir / "pg_hba.conf").write_text(_TLS_HBA)
        if self.as_postgres:
            for path in (cert, key, self.datadir / "pg_hba.conf"):
                shutil.chown(path, "postgres", "postgres")
        return f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")
