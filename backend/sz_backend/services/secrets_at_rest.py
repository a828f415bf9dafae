"""Two helpers every stored bearer secret needs (login and staff tokens, one-time links and codes).

Only a digest of a token is stored, so a leaked table opens nothing; and SQLite hands back
naive datetimes even for timezone-aware columns, so expiry times are read back as UTC.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone


def token_digest(token: str) -> str:
    """What is stored for a bearer token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite returns naive ones)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
