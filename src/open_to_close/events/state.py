"""The change feed's memory: what each record looked like at the last poll, and the events
found but not yet handed over (an outbox).

Both live in one SQL database, so a poll stores the new snapshots and the events they
imply in one transaction: a crash before the commit finds the same changes again (with the
same event ids); a crash after it finds the events in the outbox and hands them over then.
The receiving side deduplicates by event id, so a hand-over repeated after a crash between
"handed over" and "deleted from the outbox" still runs each handler once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    update,
)

from .._sql import create_tables, make_engine
from .._urls import STATE_SCHEMES, STATE_URL
from ..sync.lock import JobLock, lock_table

DEFAULT_STATE = STATE_URL  # the package's state database, shared with otc serve
STATE_ENV = "OTC_EVENTS_STATE"

_metadata = MetaData()
_snapshots = Table(
    "otc_feed_snapshots",
    _metadata,
    Column("feed", String(100), primary_key=True),
    Column("resource", String(40), primary_key=True),
    Column("record_id", String(100), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("version", Integer, nullable=False),  # changes seen: part of each event's id
    Column("status", String(200)),
    Column("view", Text, nullable=False),  # the flat view: what a deleted event carries
)
_outbox = Table(
    "otc_feed_outbox",
    _metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("feed", String(100), nullable=False, index=True),
    Column("event_id", String(100), nullable=False),
    Column("body", Text, nullable=False),
)
_locks = lock_table("otc_feed_locks", _metadata)


@dataclass(frozen=True, slots=True)
class Snapshot:
    digest: str
    version: int
    status: str | None
    view: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    """A snapshot to store (``snapshot`` None: forget the record)."""

    resource: str
    record_id: str
    snapshot: Snapshot | None


class FeedState:
    """Snapshots and outbox of change feeds, by feed name, in SQLite or PostgreSQL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or os.environ.get(STATE_ENV) or DEFAULT_STATE
        self.engine: Engine = make_engine(self.url, "the change feed's state", STATE_SCHEMES)
        create_tables(_metadata, self.engine)

    def snapshots(self, feed: str, resource: str) -> dict[str, Snapshot]:
        c = _snapshots.c
        query = select(c.record_id, c.digest, c.version, c.status, c.view).where(
            and_(c.feed == feed, c.resource == resource)
        )
        with self.engine.connect() as conn:
            return {
                row.record_id: Snapshot(row.digest, row.version, row.status, json.loads(row.view))
                for row in conn.execute(query)
            }

    def commit(
        self, feed: str, changes: Iterable[Change], events: Iterable[dict[str, Any]]
    ) -> None:
        """Store the new snapshots and queue their events, all or nothing."""
        with self.engine.begin() as conn:
            for change in changes:
                key = and_(
                    _snapshots.c.feed == feed,
                    _snapshots.c.resource == change.resource,
                    _snapshots.c.record_id == change.record_id,
                )
                snap = change.snapshot
                if snap is None:
                    conn.execute(delete(_snapshots).where(key))
                    continue
                values = {
                    "digest": snap.digest,
                    "version": snap.version,
                    "status": snap.status,
                    "view": json.dumps(snap.view, default=str),
                }
                if conn.execute(update(_snapshots).where(key).values(**values)).rowcount == 0:
                    conn.execute(
                        insert(_snapshots).values(
                            feed=feed,
                            resource=change.resource,
                            record_id=change.record_id,
                            **values,
                        )
                    )
            rows = [
                {"feed": feed, "event_id": e["id"], "body": json.dumps(e, default=str)}
                for e in events
            ]
            if rows:
                conn.execute(insert(_outbox), rows)

    def pending(self, feed: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """Events stored but not yet handed over, oldest first."""
        query = (
            select(_outbox.c.seq, _outbox.c.body)
            .where(_outbox.c.feed == feed)
            .order_by(_outbox.c.seq)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield int(row.seq), json.loads(row.body)

    def delivered(self, seq: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_outbox).where(_outbox.c.seq == seq))

    def lease(self, feed: str, ttl: float = 60.0) -> JobLock:
        """The lease that keeps two pollers of one feed apart (the sync jobs' lock: a dead
        holder's lease is taken over, and the next poll resumes from the snapshots)."""
        return JobLock(self.engine, _locks, f"feed:{feed}", ttl)

    def reset(self, feed: str) -> None:
        """Forget a feed: its next poll sees every record as new."""
        with self.engine.begin() as conn:
            conn.execute(delete(_snapshots).where(_snapshots.c.feed == feed))
            conn.execute(delete(_outbox).where(_outbox.c.feed == feed))

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"FeedState({self.engine.url.render_as_string(hide_password=True)!r})"
