"""Where the payer comes back after paying: only an allowed origin or app link, no open redirect.

A return URL must have exactly the origin (scheme, host and port) of one of
TOEGANG_CORS_ORIGINS, or start with one of TOEGANG_RETURN_URL_PREFIXES (app links of mobile
apps, each ending with "/"). Comparing origins after parsing, not text prefixes, keeps
`https://app.nl.evil.example/` and `https://app.nl@evil.example/` out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gql.services.shared.errors import Problems
from gql.settings import Settings

MAX_LENGTH = 500
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL without user info, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{parts.hostname}"
    return f"{parts.scheme}://{parts.hostname}:{port}"


def allowed(url: str, settings: Settings) -> bool:
    if len(url) > MAX_LENGTH or any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        return False
    origin = _origin(url)
    if origin is not None and origin in {_origin(o) for o in settings.cors_origins}:
        return True
    return any(url.startswith(prefix) for prefix in settings.return_url_prefixes)


def return_url_field(
    problems: Problems, field: str, value: str | None, settings: Settings
) -> str | None:
    """The given return URL, or None for the default page; a problem when it is not allowed."""
    if value is None or not value.strip():
        return None
    url = value.strip()
    if not allowed(url, settings):
        problems.add(field, "return_url_not_allowed")
    return url


def default_return_url(settings: Settings, public_id: str) -> str:
    """The small page that shows a payment's outcome (gql/payment_pages.py)."""
    return f"{settings.public_url}/betaling/{public_id}"
