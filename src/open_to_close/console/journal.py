"""The event journal: every event the service took (webhook or change feed), its body and
what became of it, for the console's Events page and its replays.

The service writes it (see :mod:`.taps`): a row when an event is taken, before it is
queued; the outcome (``handled``, ``ignored``, ``failed`` with the error) when a worker
ran it, with the attempts. A replay is a row of its own pointing at the original. Bodies
are kept zlib-compressed JSON (a live property event is ~60 KB of field values), never
pickles. Retention is bounded by count and by age (``[console] keep_events`` and
``keep_days``): pruning runs every few hundred rows, on the primary key and an index.

It also keeps a small index of the properties events mentioned (id, address, city,
status), which the Properties page searches.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)

from .._sql import create_tables, make_engine
from ..sync._tables import upsert

_PRUNE_EVERY = 500  # rows written between two prunes

metadata = MetaData()
events = Table(
    "otc_console_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("property_id", String(100), nullable=True),
    Column("source", String(16), nullable=False),  # feed, webhook
    Column("replay_of", Integer, nullable=True),  # seq of the original, for a replay
    Column("received_at", Float, nullable=False),
    Column("outcome", String(16), nullable=False),  # received, handled, ignored, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("finished_at", Float, nullable=True),
    Column("body", LargeBinary, nullable=False),
    Index("otc_console_events_event", "event_id"),
    Index("otc_console_events_time", "received_at"),
    Index("otc_console_events_property", "property_id", "seq"),
    Index("otc_console_events_outcome", "outcome", "seq"),
)
properties = Table(
    "otc_console_properties",
    metadata,
    Column("property_id", String(100), primary_key=True),
    Column("address", String(500), nullable=True),
    Column("city", String(200), nullable=True),
    Column("status", String(200), nullable=True),
    Column("seen_at", Float, nullable=False),
    Column("source", String(16), nullable=False),  # feed, webhook, sync, api
    Index("otc_console_properties_address", "address"),
    Index("otc_console_properties_seen", "seen_at", "property_id"),  # covers paging
)

SUMMARY = [c for c in events.c if c.name != "body"]


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    event_id: str
    event_type: str
    property_id: str | None
    source: str
    replay_of: int | None
    received_at: float
    outcome: str
    attempts: int
    error: str | None
    finished_at: float | None

    @property
    def replay(self) -> bool:
        return self.replay_of is not None


def pack(body: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(body, default=str, separators=(",", ":")).encode(), 1)


def unpack(blob: bytes) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(zlib.decompress(blob))
    return found


def property_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """The property an event is about: its record, or ``{"id": ...}`` for a task or note."""
    record = event.get("property")
    if isinstance(record, dict) and record.get("id") is not None:
        return record
    for key in ("task", "note", "document", "contact", "email"):
        item = event.get(key)
        if isinstance(item, dict) and item.get("property_id") is not None:
            return {"id": item["property_id"]}
    return None


def _text(value: Any, width: int) -> str | None:
    return None if value is None or value == "" else str(value)[:width]


def index_row(record: dict[str, Any], property_id: Any, source: str, now: float) -> dict[str, Any]:
    """A property's row in the index, from its flat view."""
    return {
        "property_id": str(property_id)[:100],
        "address": _text(record.get("address"), 500),
        "city": _text(record.get("city"), 200),
        "status": _text(record.get("status"), 200),
        "seen_at": now,
        "source": source,
    }


class EventJournal:
    """The journal in the service's state database (SQLite or PostgreSQL)."""

    def __init__(
        self,
        url: str,
        *,
        keep_events: int = 20_000,
        keep_days: float = 7.0,
        engine: Engine | None = None,
    ) -> None:
        self.engine = engine or make_engine(url, "the console's event journal")
        create_tables(metadata, self.engine)
        self.keep_events = keep_events
        self.keep_seconds = keep_days * 86400.0
        self._save_property = upsert(self.engine, properties, ["property_id"])
        # Built once: building a statement costs more than running it.
        c = events.c
        self._insert = insert(events)
        outcome = {
            "outcome": bindparam("o"),
            "error": bindparam("err"),
            "attempts": c.attempts + 1,
            "finished_at": bindparam("at"),
        }
        self._by_event = (
            update(events)
            .where(c.event_id == bindparam("eid"), c.replay_of.is_(None))
            .values(**outcome)
        )
        self._by_seq = update(events).where(c.seq == bindparam("s")).values(**outcome)
        self._written = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EventJournal({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------

    def taken(self, event: dict[str, Any], source: str, replay_of: int | None = None) -> int:
        """Record an event taken from ``source`` (before it is queued); its journal seq."""
        record = property_of(event)
        now = time.time()
        row = {
            "event_id": str(event.get("id", ""))[:200],
            "event_type": str(event.get("event_type", ""))[:100],
            "property_id": None if record is None else str(record["id"])[:100],
            "source": source,
            "replay_of": replay_of,
            "received_at": now,
            "outcome": "received",
            "attempts": 0,
            "body": pack(event),
        }
        with self.engine.begin() as conn:
            seq = int(conn.execute(self._insert, row).inserted_primary_key[0])  # type: ignore[index]
            if record is not None and replay_of is None:
                self._remember(conn, record, source, now)
        self._maybe_prune()
        return seq

    def _remember(self, conn: Any, record: dict[str, Any], source: str, now: float) -> None:
        conn.execute(self._save_property, index_row(record, record["id"], source, now))

    def remember_property(self, record: dict[str, Any], source: str) -> None:
        """Keep a property's flat view in the index (the Properties page read it)."""
        with self.engine.begin() as conn:
            self._remember(conn, record, source, time.time())

    def remember_properties(self, rows: list[dict[str, Any]]) -> None:
        """Upsert index rows (``property_id``, ``address``, ``city``, ``status``,
        ``seen_at``, ``source``) in one transaction."""
        if rows:
            with self.engine.begin() as conn:
                conn.execute(self._save_property, rows)

    def forget(self, seq: int) -> None:
        """Drop a row written for an event that was not taken after all (a duplicate)."""
        with self.engine.begin() as conn:
            conn.execute(delete(events).where(events.c.seq == seq))

    def finished(
        self, event_id: str, replay_seq: int | None, outcome: str, error: str | None = None
    ) -> None:
        """A worker ran the event (``replay_seq``: the replay's row): count the attempt."""
        params = {"o": outcome, "err": error, "at": time.time()}
        with self.engine.begin() as conn:
            if replay_seq is not None:
                conn.execute(self._by_seq, {**params, "s": replay_seq})
            else:
                conn.execute(self._by_event, {**params, "eid": event_id})

    def _maybe_prune(self) -> None:
        with self._lock:
            self._written += 1
            due = self._written % _PRUNE_EVERY == 1
        if due:
            self.prune()

    def prune(self) -> int:
        """Drop rows past the count and age limits; how many went."""
        c = events.c
        with self.engine.begin() as conn:
            newest = conn.execute(select(func.max(c.seq))).scalar()
            gone = 0
            if newest is not None:
                cut = int(newest) - self.keep_events
                gone += conn.execute(delete(events).where(c.seq <= cut)).rowcount
            old = time.time() - self.keep_seconds
            gone += conn.execute(delete(events).where(c.received_at < old)).rowcount
        return gone

    # -- reading ---------------------------------------------------------------------------

    def page(
        self,
        limit: int,
        before: int | None = None,
        after: int | None = None,
        *,
        property_id: str | None = None,
        outcome: str | None = None,
    ) -> list[Entry]:
        """Newest first: ``limit`` rows older than the seq ``before``, or the ``limit``
        rows just newer than ``after``."""
        c = events.c
        query = select(*SUMMARY).order_by(c.seq.desc()).limit(limit)
        if before is not None:
            query = query.where(c.seq < before)
        if after is not None:
            query = select(*SUMMARY).where(c.seq > after).order_by(c.seq).limit(limit)
        if property_id is not None:
            query = query.where(c.property_id == property_id)
        if outcome is not None:
            query = query.where(c.outcome == outcome)
        with self.engine.connect() as conn:
            found = [Entry(**row._mapping) for row in conn.execute(query)]
        return found[::-1] if after is not None else found

    def entry(self, seq: int) -> tuple[Entry, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(events).where(events.c.seq == seq)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        body = unpack(data.pop("body"))
        return Entry(**data), body

    def per_minute(self, minutes: int = 60) -> list[tuple[float, int]]:
        """Events taken in each of the last ``minutes`` minutes, oldest first."""
        now = time.time()
        start = (now // 60 - minutes + 1) * 60
        minute = events.c.received_at / 60
        # SQLite's CAST truncates (times are positive: the floor); PostgreSQL's rounds.
        pg = self.engine.dialect.name == "postgresql"
        bucket = func.floor(minute) if pg else cast(minute, Integer)
        query = select(bucket, func.count()).where(events.c.received_at >= start).group_by(bucket)
        with self.engine.connect() as conn:
            counts = {int(b): int(n) for b, n in conn.execute(query)}
        first = int(start // 60)
        return [(float(m * 60), counts.get(m, 0)) for m in range(first, first + minutes)]
