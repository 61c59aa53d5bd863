"""Uploads: the GraphQL multipart request spec, parsed while the body streams.

    POST /graphql  (multipart/form-data; GraphQL-Require-Preflight: 1)
      operations: {"query": "mutation ($d: Upload!) {...}", "variables": {"d": null}}
      map:        {"0": ["variables.d"]}
      0:          the file

The CSRF rule and the size of the whole request are checked before and while the body
streams (gql/http.py, gql/middleware.py: TOEGANG_MAX_UPLOAD_BYTES); here the number of
parts is limited, file parts go to disk as they arrive (Starlette spools beyond 1 MiB), each
file is copied to a private temporary folder in the data folder (0700, never served) for the
content checks and the file store, and the files are removed when the request ends.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from gql.private_files import private_dir

MAX_FILES = 5
MAX_FIELDS = 5
MAX_FIELD_BYTES = 100_000


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file of a multipart request, on disk for as long as the request runs.

    `filename` and `declared_type` are what the client said: shown back, never believed.
    """

    path: Path
    filename: str
    declared_type: str
    size: int


class UploadError(Exception):
    """The multipart request does not follow the spec (a 400 request error)."""


@contextlib.asynccontextmanager
async def multipart_body(request: Request, data_dir: Path) -> Any:
    """The request's `operations` with each file put where `map` says; files removed after."""
    folder = private_dir(data_dir / "uploads")
    made: list[Path] = []
    form = await request.form(
        max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
    )
    try:
        operations = _json(form.get("operations"), "operations")
        mapping = _json(form.get("map"), "map")
        if not isinstance(operations, dict):
            raise UploadError("operations must be one JSON object (no batching).")
        if not isinstance(mapping, dict):
            raise UploadError("map must be a JSON object.")
        for key, paths in mapping.items():
            upload = form.get(key)
            if not isinstance(upload, UploadFile):
                raise UploadError(f"map names {key!r}, which is no file of this request.")
            if not isinstance(paths, list) or not paths:
                raise UploadError(f"map[{key!r}] must list where the file goes.")
            copy = await _keep(upload, folder)
            made.append(copy.path)
            for path in paths:
                _place(operations, path, copy)
        yield operations
    finally:
        await form.close()
        for path in made:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _json(value: Any, name: str) -> Any:
    if not isinstance(value, str):
        raise UploadError(f"The multipart request needs a field {name!r} holding JSON.")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise UploadError(f"{name} is not valid JSON.") from None


def _place(operations: dict[str, Any], path: Any, value: UploadedFile) -> None:
    """Put `value` at `path` ("variables.document", "variables.files.0") in operations."""
    if not isinstance(path, str) or not path.startswith("variables."):
        raise UploadError(f"map paths point into variables, not {path!r}.")
    parts = path.split(".")
    target: Any = operations
    for part in parts[:-1]:
        target = _step(target, part, path)
    last = parts[-1]
    if isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value
    elif isinstance(target, dict) and last in target:
        target[last] = value
    else:
        raise UploadError(f"map path {path!r} names no variable of the operation.")


def _step(target: Any, part: str, path: str) -> Any:
    if isinstance(target, dict) and isinstance(target.get(part), dict | list):
        return target[part]
    if isinstance(target, list) and part.isdigit() and int(part) < len(target):
        return target[int(part)]
    raise UploadError(f"map path {path!r} names no variable of the operation.")


async def _keep(upload: UploadFile, folder: Path) -> UploadedFile:
    """Copy the spooled upload to a private file of its own (0600), chunk by chunk."""
    fd, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    await upload.seek(0)
    size = 0
    with os.fdopen(fd, "wb") as out:
        while data := await upload.read(1024 * 1024):
            await anyio.to_thread.run_sync(out.write, data)
            size += len(data)
    return UploadedFile(
        path=path,
        filename=(upload.filename or "")[:200],
        declared_type=(upload.content_type or "")[:100],
        size=size,
    )
