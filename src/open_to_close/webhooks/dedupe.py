"""Durable memory of event ids, so a replayed or re-sent delivery runs no handler twice.

An event id goes through two states. ``claim`` takes it (``processing``) for a lease;
``complete`` marks it ``done`` once its work is safe (handled, or durably queued);
``release`` forgets it when that work failed, so the sender's retry runs it again. A
claim whose holder died (process killed) expires after its lease and can be taken again,
so a crash loses nothing. Done ids are kept for ``retention`` seconds.

Two engines: SQL through SQLAlchemy (a SQLite file by default, PostgreSQL by URL) and
Redis (``redis://`` URL). Pick one with :func:`open_dedupe`.
"""

from __future__ import annotations

import enum
import re
import threading
import time
from typing import Any, Protocol

from .._optional import require
from .._sql import create_tables, make_engine

DEFAULT_DB = "sqlite:///otc-webhooks.db"
DEFAULT_RETENTION = 30 * 24 * 3600.0
_PURGE_EVERY = 1000  # completes between two purges of expired done ids
# What no store can keep: PostgreSQL text refuses NUL, UTF-8 refuses lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_event_id(event_id: str) -> str:
    """``event_id`` if every store can keep it; a ``ValueError`` for a NUL or a surrogate.

    Such an id would fail the store's write on every delivery (a 500 forever for the
    sender's retries); it is refused up front instead.
    """
    if _UNSTORABLE.search(event_id):
        raise ValueError(f"event id {event_id!r} holds a NUL or a lone surrogate")
    return event_id


class Claim(enum.Enum):
    NEW = "new"  # the caller holds the claim and must complete or release it
    DONE = "done"  # handled before: a duplicate
    BUSY = "busy"  # another delivery holds a live claim


class DedupeStore(Protocol):
    def claim(self, event_id: str, lease: float) -> Claim: ...
    def complete(self, event_id: str) -> None: ...
    def release(self, event_id: str) -> None: ...
    def close(self) -> None: ...


def open_dedupe(url: str | None = None, *, retention: float = DEFAULT_RETENTION) -> DedupeStore:
    """A store for ``url``: ``redis://...``, any SQLAlchemy URL, or None (a SQLite file)."""
    url = url or DEFAULT_DB
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisDedupe(url, retention=retention)
    return SQLDedupe(url, retention=retention)


class SQLDedupe:
    """Event ids in one SQL table (``otc_webhook_events`` unless ``table`` is given)."""

    def __init__(
        self, url: str, *, table: str = "otc_webhook_events", retention: float = DEFAULT_RETENTION
    ) -> None:
        sa = require("sqlalchemy", "postgres", "SQL webhook dedupe")
        self.retention = retention
        self._completes = 0
        self._lock = threading.Lock()
        self.engine = sql_engine(url, "webhook dedupe")
        meta = sa.MetaData()
        self.table = sa.Table(
            table,
            meta,
            sa.Column("event_id", sa.String(255), primary_key=True),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("claimed_at", sa.Float, nullable=False),
            sa.Column("completed_at", sa.Float, index=True),
        )
        create_tables(meta, self.engine)
        self._integrity = sa.exc.IntegrityError

    def claim(self, event_id: str, lease: float) -> Claim:
        check_event_id(event_id)
        t = self.table
        now = time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.insert().values(event_id=event_id, state="processing", claimed_at=now)
                )
            return Claim.NEW
        except self._integrity:
            pass
        with self.engine.begin() as conn:
            taken = conn.execute(
                t.update()
                .where(t.c.event_id == event_id)
                .where(t.c.state == "processing")
                .where(t.c.claimed_at < now - lease)
                .values(claimed_at=now)
            )
            if taken.rowcount == 1:
                return Claim.NEW
            state = conn.execute(t.select().where(t.c.event_id == event_id)).first()
        if state is None:  # released between our two statements: try once more
            return self.claim(event_id, lease)
        return Claim.DONE if state.state == "done" else Claim.BUSY

    def complete(self, event_id: str) -> None:
        t = self.table
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                t.update().where(t.c.event_id == event_id).values(state="done", completed_at=now)
            )
        with self._lock:
            self._completes += 1
            purge = self._completes % _PURGE_EVERY == 0
        if purge:
            self.purge(now - self.retention)

    def release(self, event_id: str) -> None:
        t = self.table
        with self.engine.begin() as conn:
            conn.execute(
                t.delete().where(t.c.event_id == event_id).where(t.c.state == "processing")
            )

    def purge(self, before: float) -> int:
        """Forget done ids completed before ``before`` (Unix time); how many went."""
        t = self.table
        with self.engine.begin() as conn:
            gone = conn.execute(t.delete().where(t.c.completed_at < before))
        return int(gone.rowcount)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<SQLDedupe {_safe_url(str(self.engine.url))} table={self.table.name}>"


class RedisDedupe:
    """Event ids as Redis keys under ``prefix``; a claim's lease is the key's expiry."""

    def __init__(
        self, url: str, *, prefix: str = "otc:webhooks:", retention: float = DEFAULT_RETENTION
    ) -> None:
        redis = require("redis", "redis", "Redis webhook dedupe")
        self.prefix = prefix
        self.retention = retention
        self.redis: Any = redis.Redis.from_url(url)

    def _key(self, event_id: str) -> str:
        return self.prefix + event_id

    def claim(self, event_id: str, lease: float) -> Claim:
        key = self._key(check_event_id(event_id))
        for _ in range(3):  # a claim may expire between SET and GET; then try again
            if self.redis.set(key, b"processing", nx=True, px=max(1, int(lease * 1000))):
                return Claim.NEW
            state = self.redis.get(key)
            if state is not None:
                return Claim.DONE if state == b"done" else Claim.BUSY
        return Claim.BUSY

    def complete(self, event_id: str) -> None:
        self.redis.set(self._key(event_id), b"done", ex=max(1, int(self.retention)))

    def release(self, event_id: str) -> None:
        key = self._key(event_id)
        if self.redis.get(key) == b"processing":
            self.redis.delete(key)

    def close(self) -> None:
        self.redis.close()

    def __repr__(self) -> str:
        return f"<RedisDedupe prefix={self.prefix!r}>"


def sql_engine(url: str, purpose: str) -> Any:
    """A SQLAlchemy engine for ``url``; SQLite files get WAL and a busy timeout."""
    return make_engine(url, purpose)


def _safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest
