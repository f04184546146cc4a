"""Durable memory of event ids, so a replayed or re-sent delivery runs no handler twice.

The claims store (:mod:`open_to_close._claims`) with the webhooks' defaults: an event id
is claimed for a lease while its delivery is handled, marked done once its work is safe
(handled, or durably queued), or released when that failed, so the sender's retry runs
it again. Done ids are kept for 30 days. SQL through SQLAlchemy (a SQLite file by
default, PostgreSQL by URL) or Redis (``redis://`` URL); pick one with
:func:`open_dedupe`.
"""

from __future__ import annotations

from .._claims import DEFAULT_RETENTION, Claim, RedisClaims, SQLClaims, check_key
from .._claims import ClaimStore as DedupeStore
from .._urls import REDIS_SCHEMES, STATE_SCHEMES, STATE_URL, check_scheme, is_redis_url

DEFAULT_DB = STATE_URL  # the package's state database, shared with otc serve
SCHEMES = (*REDIS_SCHEMES, *STATE_SCHEMES)

__all__ = [
    "DEFAULT_DB",
    "DEFAULT_RETENTION",
    "SCHEMES",
    "Claim",
    "DedupeStore",
    "RedisDedupe",
    "SQLDedupe",
    "check_event_id",
    "open_dedupe",
]


def check_event_id(event_id: str) -> str:
    """``event_id`` if every store can keep it; a ``ValueError`` for a NUL or a surrogate."""
    return check_key(event_id, "event id")


class SQLDedupe(SQLClaims):
    """Event ids in one SQL table (``otc_webhook_events`` unless ``table`` is given)."""

    what = "event id"

    def __init__(
        self, url: str, *, table: str = "otc_webhook_events", retention: float = DEFAULT_RETENTION
    ) -> None:
        super().__init__(url, table=table, retention=retention, purpose="webhook dedupe")


class RedisDedupe(RedisClaims):
    """Event ids as Redis keys under ``prefix``; a claim's lease is the key's expiry."""

    what = "event id"

    def __init__(
        self, url: str, *, prefix: str = "otc:webhooks:", retention: float = DEFAULT_RETENTION
    ) -> None:
        super().__init__(url, prefix=prefix, retention=retention, purpose="Redis webhook dedupe")


def open_dedupe(url: str | None = None, *, retention: float = DEFAULT_RETENTION) -> DedupeStore:
    """A store for ``url`` (Redis, SQLite or PostgreSQL: :data:`SCHEMES`), or None: the
    state database (``.otc/state.db``), as ``otc serve`` uses."""
    url = check_scheme(url or DEFAULT_DB, SCHEMES, "dedupe")
    if is_redis_url(url):
        return RedisDedupe(url, retention=retention)
    return SQLDedupe(url, retention=retention)
