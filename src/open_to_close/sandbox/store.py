"""The sandbox's records in SQLite: one table, each record's JSON kept as sent to clients.

Records of every resource share one table with a ``kind`` column; ids count per kind (as
on the live API, a team and a property may share an id). ``parent_id`` is the property
of a sub-record (0 for top-level records, so every lookup is a plain indexed equality).
``data`` holds the record exactly as the API answers it, so a retrieve is one indexed
query whose text goes straight to the socket. ``meta`` keeps what belongs to the
database rather than to a record: the account's drawn property fields.

Every committed change is announced to :attr:`Store.listeners` as
``listener(event_type, record, previous)`` with ``event_type`` like ``property.created``,
``property_task.updated`` or ``property_note.deleted`` (the resource's singular name);
``previous`` is the record before an update or delete, else None. Listeners run after the
commit, outside the store's lock; webhook delivery hangs off this.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._model.resources import BY_ATTRIBUTE
from .._redact import get_logger
from .timestamps import Clock, parse_micros

log = get_logger(__name__)

ChangeListener = Callable[[str, dict[str, Any], dict[str, Any] | None], None]
Event = tuple[str, dict[str, Any], dict[str, Any] | None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    row INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    parent_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_by_id ON objects (kind, id);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (kind, parent_id, id);
CREATE INDEX IF NOT EXISTS objects_paging ON objects (kind, parent_id, id, updated_at);
CREATE INDEX IF NOT EXISTS objects_by_change ON objects (kind, parent_id, updated_at);
CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
"""

_GET = "SELECT data FROM objects WHERE kind = ? AND id = ? AND parent_id = ?"
# A page is picked from the index alone, then only its rows are read: OFFSET over the
# table itself would read (and skip) every earlier record, ~60 KB each for properties.
_LIST = (
    "SELECT data FROM objects WHERE row IN ("
    " SELECT row FROM objects INDEXED BY objects_paging"
    " WHERE kind = ? AND parent_id = ? AND updated_at > ? ORDER BY id LIMIT ? OFFSET ?"
    ") ORDER BY id"
)
_SCAN = "SELECT data FROM objects WHERE kind = ? AND parent_id = ? AND updated_at > ? ORDER BY id"
_NEXT_ID = "SELECT last FROM sequences WHERE kind = ?"
_OLD_SCHEMA = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'"

Build = Callable[[int, str], dict[str, Any]]
"""Makes a new record from its id and the write's timestamp."""
Change = Callable[[dict[str, Any], str], dict[str, Any]]
"""Makes the updated record from the stored one and the write's timestamp."""


def dump(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Remember:
    """Store a create's answer under an idempotency key, in the create's own transaction."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Remembered:
    fingerprint: str
    status: int
    body: str


class Store:
    def __init__(self, path: str | None = None, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or Clock()
        self.listeners: list[ChangeListener] = []
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.open()

    # -- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        if self._conn is not None:
            return
        # One connection shared by the server thread and in-process ASGI callers; the lock
        # serialises them, which SQLite would do anyway.
        try:
            conn = sqlite3.connect(
                self.path or ":memory:", check_same_thread=False, isolation_level=None
            )
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        except sqlite3.Error as exc:
            raise ValueError(f"can't open the sandbox database {self.path!r}: {exc}") from None
        if conn.execute(_OLD_SCHEMA).fetchone() is not None:
            conn.close()
            raise ValueError(
                f"the sandbox database {self.path!r} was made by an older sandbox (flat "
                "properties) and can't be served as the live API's field-based records; "
                "give a new file"
            )
        if self.path:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        newest = conn.execute("SELECT MAX(updated_at) FROM objects").fetchone()[0]
        if newest:
            self.clock.advance_to(parse_micros(newest))
        self._conn = conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the sandbox store is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _announce(self, events: list[Event]) -> None:
        for event_type, record, previous in events:
            for listener in list(self.listeners):
                try:
                    listener(event_type, record, previous)
                except Exception:
                    # A broken subscriber must not turn a committed write into a 500.
                    log.exception("sandbox change listener failed on %s", event_type)

    # -- reads ---------------------------------------------------------------------------

    def get_raw(self, kind: str, record_id: int, parent_id: int = 0) -> str | None:
        with self._lock:
            row = self.conn.execute(_GET, (kind, record_id, parent_id)).fetchone()
        return None if row is None else str(row[0])

    def get(self, kind: str, record_id: int, parent_id: int = 0) -> dict[str, Any] | None:
        raw = self.get_raw(kind, record_id, parent_id)
        return None if raw is None else dict(json.loads(raw))

    def exists(self, kind: str, record_id: int, parent_id: int = 0) -> bool:
        return self.get_raw(kind, record_id, parent_id) is not None

    def page(self, kind: str, parent_id: int, *, since: str, limit: int, offset: int) -> list[str]:
        with self._lock:
            rows = self.conn.execute(_LIST, (kind, parent_id, since, limit, offset)).fetchall()
        return [str(row[0]) for row in rows]

    def scan(self, kind: str, parent_id: int, *, since: str) -> list[str]:
        with self._lock:
            rows = self.conn.execute(_SCAN, (kind, parent_id, since)).fetchall()
        return [str(row[0]) for row in rows]

    def meta(self, name: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self._lock, self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    # -- writes --------------------------------------------------------------------------

    def insert(
        self,
        kind: str,
        build: Build,
        parent_id: int = 0,
        remember: Remember | None = None,
        answer: Callable[[dict[str, Any]], str] = dump,
    ) -> str | Remembered:
        """Insert the record ``build(id, now)`` makes; the create's answer, ``answer(record)``.

        With ``remember``, a key already used answers its stored result instead (the
        caller compares fingerprints); looking it up under the write lock means two
        concurrent requests with one key can't both create.
        """
        with self._lock, self._write() as conn:
            if remember is not None:
                row = conn.execute(
                    "SELECT fingerprint, status, body FROM idempotency WHERE scope = ? AND key = ?",
                    (remember.scope, remember.key),
                ).fetchone()
                if row is not None:
                    return Remembered(row[0], row[1], row[2])
            row = conn.execute(_NEXT_ID, (kind,)).fetchone()
            record_id = (row[0] if row else 0) + 1
            now = self.clock.now()
            record = build(record_id, now)
            conn.execute(
                "INSERT INTO objects (kind, id, parent_id, updated_at, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (kind, record_id, parent_id, now, dump(record)),
            )
            conn.execute(
                "INSERT OR REPLACE INTO sequences (kind, last) VALUES (?, ?)", (kind, record_id)
            )
            text = answer(record)
            if remember is not None:
                conn.execute(
                    "INSERT INTO idempotency (scope, key, fingerprint, status, body)"
                    " VALUES (?, ?, ?, 201, ?)",
                    (remember.scope, remember.key, remember.fingerprint, text),
                )
        self._announce([(f"{BY_ATTRIBUTE[kind].singular}.created", record, None)])
        return text

    def create(
        self,
        kind: str,
        fields: dict[str, Any],
        parent_id: int = 0,
        remember: Remember | None = None,
    ) -> str | Remembered:
        """Insert a flat record (``id``, ``property_id``, fields, ``created_at``,
        ``updated_at``) and return its JSON."""
        return self.insert(kind, stamped(fields, parent_id), parent_id, remember)

    def update(
        self, kind: str, record_id: int, change: Change | dict[str, Any], parent_id: int = 0
    ) -> str | None:
        """Apply ``change`` (a function of the record, or flat fields to merge) to a
        record; its JSON, or None if there is no such record."""
        if isinstance(change, dict):
            change = merged(change)
        with self._lock, self._write() as conn:
            row = conn.execute(_GET, (kind, record_id, parent_id)).fetchone()
            if row is None:
                return None
            previous: dict[str, Any] = json.loads(row[0])
            now = self.clock.now()
            record = change(previous, now)
            text = dump(record)
            conn.execute(
                "UPDATE objects SET updated_at = ?, data = ? WHERE kind = ? AND id = ?",
                (now, text, kind, record_id),
            )
        self._announce([(f"{BY_ATTRIBUTE[kind].singular}.updated", record, previous)])
        return text

    def delete(self, kind: str, record_id: int, parent_id: int = 0) -> bool:
        """Delete a record (and a property's sub-records); False if there was none."""
        events: list[Event] = []
        with self._lock, self._write() as conn:
            row = conn.execute(_GET, (kind, record_id, parent_id)).fetchone()
            if row is None:
                return False
            if kind == "properties":
                children = conn.execute(
                    "SELECT kind, data FROM objects WHERE parent_id = ? AND kind != ? ORDER BY row",
                    (record_id, kind),
                ).fetchall()
                conn.execute(
                    "DELETE FROM objects WHERE parent_id = ? AND kind != ?", (record_id, kind)
                )
                for child_kind, data in children:
                    child = json.loads(data)
                    events.append((f"{BY_ATTRIBUTE[child_kind].singular}.deleted", child, child))
            conn.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, record_id))
        previous = json.loads(row[0])
        events.insert(0, (f"{BY_ATTRIBUTE[kind].singular}.deleted", previous, previous))
        self._announce(events)
        return True

    def clear(self) -> None:
        """Forget every record and idempotency key; ids start again at 1. ``meta`` stays."""
        with self._lock, self._write() as conn:
            conn.execute("DELETE FROM objects")
            conn.execute("DELETE FROM idempotency")
            conn.execute("DELETE FROM sequences")


def stamped(fields: dict[str, Any], parent_id: int = 0) -> Build:
    """A flat record's builder: ``id``, ``property_id``, the fields, then the stamps."""

    def build(record_id: int, now: str) -> dict[str, Any]:
        record: dict[str, Any] = {"id": record_id}
        if parent_id:
            record["property_id"] = parent_id
        record.update(fields)
        record["created_at"] = now
        record["updated_at"] = now
        return record

    return build


def merged(fields: dict[str, Any]) -> Change:
    """A flat record's update: merge ``fields``; a record with stamps gets a new
    ``updated_at``, and the stamps stay last for readability."""

    def change(previous: dict[str, Any], now: str) -> dict[str, Any]:
        record = {**previous, **fields}
        if "updated_at" in record:
            record["created_at"] = record.pop("created_at", now)
            record.pop("updated_at")
            record["updated_at"] = now
        return record

    return change
