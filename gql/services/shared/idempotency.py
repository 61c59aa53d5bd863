"""Idempotency keys: a retried request returns the first result and never acts twice.

The client sends a key with a request that spends or starts a payment. The first request
with a key claims it (a row, unique per scope and key); its effect and the key's completion
commit together. A replay of a completed key answers with what the first request made (the
use case reads it again, so the answer is the same object); the same key with other input is
refused (`IdempotencyKeyReused`); a duplicate that arrives while the first is still running
is refused too (`IdempotencyKeyInProgress`), and may simply ask again. A request that ends in
an expected failure gives its key up, so the client can correct the cause and retry with the
same key. Everything lives in the database, so every app process shares it; keys are kept for
at least 24 hours (the retention job removes them after 48).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.i18n import texts
from gql.models.idempotency import IdempotencyRecord, KeyState
from gql.services.shared.deps import Deps
from gql.services.shared.errors import DomainError, Problems

TEXTS = texts(
    __name__,
    {
        "idempotency_key_reused": {
            "nl": "Deze idempotentiesleutel is al gebruikt voor een ander verzoek. Gebruik een "
            "nieuwe sleutel voor een nieuw verzoek.",
            "en": "This idempotency key was already used for another request. Use a new key "
            "for a new request.",
        },
        "idempotency_key_in_progress": {
            "nl": "Een verzoek met deze idempotentiesleutel wordt nog verwerkt. Vraag het zo "
            "opnieuw voor het resultaat.",
            "en": "A request with this idempotency key is still being handled. Ask again in a "
            "moment for its result.",
        },
        "idempotency_key_format": {
            "nl": "Gebruik 1 tot {maximum} zichtbare ASCII-tekens, bijvoorbeeld een UUID.",
            "en": "Use 1 to {maximum} visible ASCII characters, such as a UUID.",
        },
    },
)

KEEP = timedelta(hours=48)
# A claim older than this whose request never finished (its process died) may be taken over.
TAKE_OVER_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 100


class IdempotencyKeyReusedError(DomainError):
    description = (
        "This idempotency key was used before for another request: use a new key for a new request."
    )
    code_description = "IdempotencyKeyReused: the key belongs to another request."
    message_key = "idempotency_key_reused"


class IdempotencyKeyInProgressError(DomainError):
    description = (
        "A request with this idempotency key is still being handled: ask again in a moment "
        "for its result."
    )
    code_description = "IdempotencyKeyInProgress: the first request with this key still runs."
    message_key = "idempotency_key_in_progress"


def key_field(problems: Problems, value: str) -> str:
    """A key is 1 to 100 visible ASCII characters (a UUID is typical)."""
    key = value.strip()
    if not key:
        problems.add("idempotencyKey", "required")
    elif len(key) > MAX_KEY_LENGTH or not all(33 <= ord(c) < 127 for c in key):
        problems.add("idempotencyKey", "idempotency_key_format", maximum=MAX_KEY_LENGTH)
    return key


def fingerprint(operation: str, values: dict[str, Any]) -> str:
    """What makes two requests the same: the operation and its (cleaned) input."""
    return hashlib.sha256(
        orjson.dumps([operation, values], option=orjson.OPT_SORT_KEYS, default=str)
    ).hexdigest()


async def claim(
    session: AsyncSession,
    *,
    scope: str,
    key: str,
    operation: str,
    input_hash: str,
    now: datetime,
) -> str | None:
    """Claim `key` inside the caller's write transaction.

    Returns None when this request goes ahead (the key is now IN_PROGRESS), or the first
    request's result reference for a replay. Raises for another input or a running duplicate.
    """
    for _ in range(2):
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                )
            )
        ).scalar_one_or_none()
        if record is not None:
            return await _existing(session, record, operation, input_hash, now)
        try:
            async with session.begin_nested():
                session.add(
                    IdempotencyRecord(
                        scope=scope,
                        key=key,
                        operation=operation,
                        input_hash=input_hash,
                        created_at=now,
                    )
                )
            return None
        except IntegrityError:
            continue  # a concurrent first request won; look at its record
    raise IdempotencyKeyInProgressError(field_path=("idempotencyKey",))


async def _existing(
    session: AsyncSession,
    record: IdempotencyRecord,
    operation: str,
    input_hash: str,
    now: datetime,
) -> str | None:
    if record.operation != operation or record.input_hash != input_hash:
        raise IdempotencyKeyReusedError(field_path=("idempotencyKey",))
    if record.state == KeyState.DONE:
        return record.result_ref or ""
    if record.created_at < now - TAKE_OVER_AFTER:
        taken = await session.execute(
            update(IdempotencyRecord)
            .where(
                col(IdempotencyRecord.id) == record.id,
                col(IdempotencyRecord.created_at) == record.created_at,
            )
            .values(created_at=now)
        )
        if cast(CursorResult[Any], taken).rowcount == 1:
            return None
    raise IdempotencyKeyInProgressError(field_path=("idempotencyKey",))


async def complete(
    session: AsyncSession, *, scope: str, key: str, result_ref: str, now: datetime
) -> None:
    """Mark the key done with what the request made, in the transaction of its effect."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(state=KeyState.DONE, result_ref=result_ref, completed_at=now)
    )


async def give_up(deps: Deps, *, scope: str, key: str) -> None:
    """The request ended in an expected failure: the key may be used again."""
    async with deps.db.write() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope,
                IdempotencyRecord.key == key,
                IdempotencyRecord.state == KeyState.IN_PROGRESS,
            )
        )
        await session.commit()


async def remove_expired(deps: Deps, *, now: datetime) -> int:
    """Keys older than 48 hours (the retention job)."""
    async with deps.db.write() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < now - KEEP)
        )
        await session.commit()
    return int(cast(CursorResult[Any], result).rowcount or 0)
