"""One JSON object per log line, so log shippers need no parsing rules."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

# color_message: uvicorn's copy of the message with terminal colour codes.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Fields given as `extra` (the access log's request_id, status, ...) become keys.
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


# Libraries that log statement values, SMTP conversations or request bodies at DEBUG or
# INFO: they stay at WARNING whatever TOEGANG_LOG_LEVEL says (SPEC §6: no SQL values,
# access codes, tokens, passwords or hashes in any log line).
QUIET = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "aiosmtplib",
    "mail.log",
    "httpx",
    "httpcore",
    "multipart",
    "python_multipart",
    "asyncio",
)


def configure(level: str = "INFO") -> None:
    """TOEGANG_LOG_LEVEL applies to the application's own loggers (`toegang.*`) and to
    uvicorn's; other libraries log warnings and errors only."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("toegang", "uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn.access",):
        logging.getLogger(name).disabled = True
