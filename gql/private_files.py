"""Files only this service's user may read: the data folder, the SQLite files, the key.

The data folder holds password hashes, sealed secrets and personal data; it is 0700 and
every file in it 0600, whatever the umask. SQLite gives its `-wal` and `-shm` files the
mode of the database file, so the database file is made (or corrected) 0600 before SQLite
opens it, and leftovers of an older, laxer setup are corrected too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create the folder (and its parents) if needed; this folder itself becomes 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Create an empty file 0600 if it does not exist; correct its mode if it does."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    if path.stat().st_mode & 0o777 != FILE_MODE:
        path.chmod(FILE_MODE)


def private_sqlite(database: Path) -> None:
    """The database file 0600 before SQLite opens it, and its -wal and -shm when present."""
    private_file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        sidecar = database.with_name(database.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            if sidecar.stat().st_mode & 0o777 != FILE_MODE:
                sidecar.chmod(FILE_MODE)


def create_once(path: Path, content: str) -> str:
    """Write `content` to a new file `path` (0600) unless it exists; returns what `path` holds.

    Written to a temporary file, fsynced, then linked into place: of two processes that
    start at once exactly one link succeeds, and the other reads the winner's content.
    """
    private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text()
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return content
    finally:
        os.unlink(temporary)
