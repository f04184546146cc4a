"""Claims: a durable memory of keys, so the work done under a key is done once.

A key goes through two states. ``claim`` takes it (``processing``) for a lease;
``complete`` marks it ``done`` once its work is safe (handled, or durably queued);
``release`` forgets it when that work failed, so a retry does it again. A claim whose
holder died (process killed) expires after its lease and can be taken again, so a crash
loses nothing. Done keys are kept for ``retention`` seconds.

The webhooks keep event ids here (:mod:`open_to_close.webhooks.dedupe`) and the Celery
queue the keys of ``enqueue_once``; neither knows the other. Two engines: SQL through
SQLAlchemy (a SQLite file, PostgreSQL) and Redis.
"""

from __future__ import annotations

import enum
import re
import threading
import time
from typing import Any, Protocol

from ._optional import require
from ._sql import create_tables, make_engine

DEFAULT_RETENTION = 30 * 24 * 3600.0
_PURGE_EVERY = 1000  # completes between two purges of expired done keys
# What no store can keep: PostgreSQL text refuses NUL, UTF-8 refuses lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

__all__ = [
    "DEFAULT_RETENTION",
    "Claim",
    "ClaimStore",
    "RedisClaims",
    "SQLClaims",
    "check_key",
]


def check_key(key: str, what: str = "key") -> str:
    """``key`` if every store can keep it; a ``ValueError`` for a NUL or a surrogate.

    Such a key would fail the store's write every time (a 500 forever for a webhook
    sender's retries); it is refused up front instead.
    """
    if _UNSTORABLE.search(key):
        raise ValueError(f"{what} {key!r} holds a NUL or a lone surrogate")
    return key


class Claim(enum.Enum):
    NEW = "new"  # the caller holds the claim and must complete or release it
    DONE = "done"  # handled before: a duplicate
    BUSY = "busy"  # another caller holds a live claim


class ClaimStore(Protocol):
    def claim(self, event_id: str, lease: float) -> Claim: ...
    def complete(self, event_id: str) -> None: ...
    def release(self, event_id: str) -> None: ...
    def close(self) -> None: ...


class SQLClaims:
    """Keys in one SQL table; ``what`` names a key in errors, ``purpose`` the store."""

    what = "key"

    def __init__(
        self,
        url: str,
        *,
        table: str,
        retention: float = DEFAULT_RETENTION,
        purpose: str = "the claims store",
    ) -> None:
        sa = require("sqlalchemy", "postgres", purpose)
        self.retention = retention
        self._completes = 0
        self._lock = threading.Lock()
        self.engine = make_engine(url, purpose)
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
        check_key(event_id, self.what)
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
        """Forget done keys completed before ``before`` (Unix time); how many went."""
        t = self.table
        with self.engine.begin() as conn:
            gone = conn.execute(t.delete().where(t.c.completed_at < before))
        return int(gone.rowcount)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"<{type(self).__name__} {url} table={self.table.name}>"


class RedisClaims:
    """Keys as Redis keys under ``prefix``; a claim's lease is the key's expiry."""

    what = "key"

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        retention: float = DEFAULT_RETENTION,
        purpose: str = "the claims store",
    ) -> None:
        redis = require("redis", "redis", purpose)
        self.prefix = prefix
        self.retention = retention
        self.redis: Any = redis.Redis.from_url(url)

    def _key(self, event_id: str) -> str:
        return self.prefix + event_id

    def claim(self, event_id: str, lease: float) -> Claim:
        key = self._key(check_key(event_id, self.what))
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
        return f"<{type(self).__name__} prefix={self.prefix!r}>"
