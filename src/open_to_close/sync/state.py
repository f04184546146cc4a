"""What a sync remembers between runs, in SQL: links, cursors, conflicts, run history.

``SyncState()`` keeps it in the package's state database (``.otc/state.db`` in the working
directory, shared with ``otc serve``); ``SyncState(url)`` in SQLite or PostgreSQL
(``postgresql://user@host/db`` needs the ``postgres`` extra).
Every method commits before it returns, so what a run has recorded survives a crash.
Values read back are JSON, never pickles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, select, update

from .._sql import create_tables, make_engine, require_sqlite_file
from .._urls import STATE_SCHEMES, STATE_URL
from ._runs import RunHistory, RunRecord, dumps, utcnow
from ._tables import Tables, first_key, upsert
from .job import JobState
from .lock import JobLock
from .merge import merge_choice

__all__ = ["Conflict", "Link", "RunRecord", "SyncState", "open_state"]

_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


@dataclass(frozen=True, slots=True)
class Link:
    """One record known on both sides. ``otc_id`` None: a create whose answer is unknown."""

    external_id: str
    otc_id: str | None
    content_hash: str | None
    base: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int
    job: str
    external_id: str
    otc_id: str | None
    fields: list[str]
    base: dict[str, Any]
    otc_values: dict[str, Any] | None  # None: deleted in Open To Close
    external_values: dict[str, Any] | None  # None: deleted on the external side
    status: str  # open, resolved (waiting to be applied), applied
    resolution: str | None  # otc, external
    created_at: str
    resolved_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class SyncState(RunHistory):
    """The state store of sync jobs; one store can hold many jobs."""

    def __init__(
        self,
        url: str | None = None,
        *,
        table_prefix: str = "otc_sync_",
        engine: Engine | None = None,
        must_exist: bool = False,
    ) -> None:
        """``must_exist``: refuse a SQLite file that isn't there (for reading only)."""
        if must_exist and engine is None:
            require_sqlite_file(url or STATE_URL, "the sync state")
        self.engine = engine or make_engine(url or STATE_URL, "the sync state", STATE_SCHEMES)
        self.tables = Tables(table_prefix)
        create_tables(self.tables.metadata, self.engine)
        self._save_link = upsert(self.engine, self.tables.links, ["job", "external_id"])
        self._save_cursor = upsert(self.engine, self.tables.cursors, ["job", "name"])

    def __repr__(self) -> str:
        return f"SyncState({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def drop(self) -> None:
        """Drop every table of this store (tests and ``reset`` tooling)."""
        self.tables.metadata.drop_all(self.engine)

    def lock(self, job: str, ttl: float = 60.0) -> JobLock:
        """The job's lock: ``with state.lock(job):`` or ``SyncLockedError`` if it is held.
        Taking over from an owner that died marks its runs ``interrupted``."""
        return JobLock(
            self.engine,
            self.tables.locks,
            job,
            ttl,
            on_takeover=lambda owner: self.mark_interrupted(job, owner),
        )

    def job(self, name: str, lock_ttl: float = 60.0) -> JobState:
        """One job's view of this store: ``job.links(ids)``, ``with job.run(kind, report)``."""
        return JobState(self, name, lock_ttl)

    # -- links -----------------------------------------------------------------------------

    def _link(self, row: Any) -> Link:
        return Link(row.external_id, row.otc_id, row.content_hash, json.loads(row.base or "null"))

    def links(self, job: str, external_ids: Iterable[str]) -> dict[str, Link]:
        """The links of these external ids (those that have one)."""
        t = self.tables.links
        ids = list(external_ids)
        found: dict[str, Link] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                query = select(t).where(t.c.job == job, t.c.external_id.in_(chunk))
                for row in conn.execute(query):
                    found[row.external_id] = self._link(row)
        return found

    def links_by_otc(self, job: str, otc_ids: Iterable[str]) -> dict[str, Link]:
        t = self.tables.links
        ids = list(otc_ids)
        found: dict[str, Link] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                query = select(t).where(t.c.job == job, t.c.otc_id.in_(ids[start : start + _CHUNK]))
                for row in conn.execute(query):
                    found[row.otc_id] = self._link(row)
        return found

    def all_links(self, job: str) -> Iterator[Link]:
        t = self.tables.links
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=1000).execute(
                select(t).where(t.c.job == job, t.c.otc_id.is_not(None))
            )
            for row in rows:
                yield self._link(row)

    def count_links(self, job: str) -> int:
        t = self.tables.links
        with self.engine.connect() as conn:
            query = select(func.count()).where(t.c.job == job, t.c.otc_id.is_not(None))
            return int(conn.execute(query).scalar_one())

    def save_link(
        self,
        job: str,
        external_id: str,
        otc_id: str | None,
        content_hash: str | None = None,
        base: dict[str, Any] | None = None,
    ) -> None:
        """Record (or replace) a link; ``otc_id=None`` records an intent to create."""
        self.save_links(job, [(external_id, otc_id, content_hash, base)])

    def save_links(
        self,
        job: str,
        links: Iterable[tuple[str, str | None, str | None, dict[str, Any] | None]],
    ) -> None:
        """Record several links, ``(external_id, otc_id, hash, base)``, in one transaction."""
        now = utcnow()
        rows = [
            {
                "job": job,
                "external_id": ext,
                "otc_id": otc_id,
                "content_hash": digest,
                "base": None if base is None else dumps(base),
                "updated_at": now,
            }
            for ext, otc_id, digest, base in links
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(self._save_link, rows)

    def add_intents(self, job: str, intents: dict[str, str]) -> None:
        """Record, in one transaction, creates about to be sent (external id -> hash)."""
        if not intents:
            return
        now = utcnow()
        rows = [
            {"job": job, "external_id": ext, "otc_id": None, "content_hash": h, "updated_at": now}
            for ext, h in intents.items()
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(self.tables.links), rows)

    def intents(self, job: str) -> dict[str, str | None]:
        """Creates that may have happened but were never recorded: external id -> hash."""
        t = self.tables.links
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.job == job, t.c.otc_id.is_(None)))
            return {row.external_id: row.content_hash for row in rows}

    def delete_link(self, job: str, external_id: str) -> None:
        t = self.tables.links
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.job == job, t.c.external_id == external_id))

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, job: str, name: str) -> str | None:
        t = self.tables.cursors
        with self.engine.connect() as conn:
            query = select(t.c.value).where(t.c.job == job, t.c.name == name)
            value: str | None = conn.execute(query).scalar_one_or_none()
            return value

    def set_cursor(self, job: str, name: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self._save_cursor, {"job": job, "name": name, "value": value})

    # -- conflicts -------------------------------------------------------------------------

    def _conflict(self, row: Any) -> Conflict:
        return Conflict(
            id=row.id,
            job=row.job,
            external_id=row.external_id,
            otc_id=row.otc_id,
            fields=json.loads(row.fields),
            base=json.loads(row.base),
            otc_values=json.loads(row.otc_values or "null"),
            external_values=json.loads(row.external_values or "null"),
            status=row.status,
            resolution=row.resolution,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
        )

    def record_conflict(
        self,
        job: str,
        external_id: str,
        otc_id: str | None,
        fields: list[str],
        base: dict[str, Any],
        otc_values: dict[str, Any] | None,
        external_values: dict[str, Any] | None,
    ) -> int:
        """Store an unresolved conflict, or refresh the open one of this record."""
        t = self.tables.conflicts
        values = {
            "otc_id": otc_id,
            "fields": dumps(sorted(fields)),
            "base": dumps(base),
            "otc_values": None if otc_values is None else dumps(otc_values),
            "external_values": None if external_values is None else dumps(external_values),
        }
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(t.c.id).where(
                    t.c.job == job, t.c.external_id == external_id, t.c.status == "open"
                )
            ).scalar_one_or_none()
            if existing is not None:
                conn.execute(update(t).where(t.c.id == existing).values(values))
                return int(existing)
            result = conn.execute(
                insert(t).values(
                    job=job, external_id=external_id, status="open", created_at=utcnow(), **values
                )
            )
            return int(first_key(result))

    def conflicts(
        self,
        job: str | None = None,
        status: str | Iterable[str] | None = "open",
        *,
        limit: int | None = None,
        after: int | None = None,
    ) -> list[Conflict]:
        """Conflicts oldest first (``limit`` of them with an id above ``after``)."""
        t = self.tables.conflicts
        query = select(t).order_by(t.c.id).limit(limit)
        if after is not None:
            query = query.where(t.c.id > after)
        if job is not None:
            query = query.where(t.c.job == job)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            query = query.where(t.c.status.in_(statuses))
        with self.engine.connect() as conn:
            return [self._conflict(row) for row in conn.execute(query)]

    def conflict(self, conflict_id: int) -> Conflict | None:
        t = self.tables.conflicts
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == conflict_id)).first()
        return None if row is None else self._conflict(row)

    def open_conflict_ids(self, job: str) -> set[str]:
        """External ids with a conflict not yet applied: runs leave those records alone."""
        t = self.tables.conflicts
        query = select(t.c.external_id).where(t.c.job == job, t.c.status.in_(("open", "resolved")))
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def resolve_conflict(
        self, conflict_id: int, use: str, fields: Mapping[str, str] | None = None
    ) -> Conflict:
        """Decide a conflict (``use``: ``otc``, ``external``, or ``merge`` with ``fields``:
        each conflicting field -> ``otc`` or ``external``); the next run applies it."""
        if use not in ("otc", "external", "merge"):
            raise ValueError(f"use must be 'otc', 'external' or 'merge'; got {use!r}")
        resolution = use
        if use == "merge":
            current = self.conflict(conflict_id)
            if current is None:
                raise KeyError(f"no conflict with id {conflict_id}")
            resolution = merge_choice(current.fields, fields or {})
        t = self.tables.conflicts
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t)
                .where(and_(t.c.id == conflict_id, t.c.status.in_(("open", "resolved"))))
                .values(status="resolved", resolution=resolution, resolved_at=utcnow())
            )
        found = self.conflict(conflict_id)
        if found is None:
            raise KeyError(f"no conflict with id {conflict_id}")
        if result.rowcount == 0:
            raise ValueError(f"conflict {conflict_id} was already applied ({found.resolution})")
        return found

    def mark_applied(self, conflict_id: int) -> None:
        t = self.tables.conflicts
        with self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id == conflict_id).values(status="applied"))


def open_state(state: SyncState | str | None) -> SyncState:
    """A :class:`SyncState` from one, a URL, or None (``.otc/state.db`` in the cwd)."""
    return state if isinstance(state, SyncState) else SyncState(state)
