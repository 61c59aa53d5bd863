"""The file store's tables: a file's facts, and its bytes in chunks of about 1 MiB.

Chunks are written in the same transaction as the row that owns the file (a filing, a
letter): a crash never separates a file from its owner, every host sharing the database
sees every file, and a database backup holds both. A stored file never changes (the
database refuses UPDATE); retention may delete a whole file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from gql.models._base import utc_field


class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    chunks: int
    content_type: str = Field(max_length=100)
    filename: str = Field(max_length=200)
    # Whose file it is (the download route asks that domain who may read it).
    owner_kind: str = Field(max_length=40, index=True)
    created_at: datetime = utc_field()


class FileChunk(SQLModel, table=True):
    __tablename__ = "file_chunk"

    file_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
