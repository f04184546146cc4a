"""The run history of a sync state: each run's status and counts, and its failed records.

Every run keeps its failures (up to :data:`KEPT_FAILURES`: ``external_id``, ``otc_id``,
``row`` and ``error``), so a scheduled job's bad rows can be read after the fact with
``state.run_failures(run_id)`` or ``otc sync history --run ID``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ._tables import Tables, first_key
from ._time import iso

__all__ = ["KEPT_FAILURES", "RunHistory", "RunRecord", "dumps", "utcnow"]

KEPT_FAILURES = 1000  # failed records kept per run; the count is always complete


def utcnow() -> str:
    return iso(datetime.now(UTC))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    job: str
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    counts: dict[str, Any]
    error: str | None


class RunHistory:
    """The run methods of :class:`open_to_close.sync.SyncState`."""

    engine: Engine
    tables: Tables

    def start_run(self, job: str, kind: str, owner: str | None = None) -> int:
        t = self.tables.runs
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(t).values(
                    job=job, kind=kind, status="running", started_at=utcnow(), owner=owner
                )
            )
            return int(first_key(result))

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, Any],
        error: str | None = None,
        failures: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Record how a run ended, with its failed records (the first KEPT_FAILURES)."""
        t = self.tables.runs
        kept = [
            {
                "run_id": run_id,
                "n": n,
                "external_id": _text(f.get("external_id")),
                "otc_id": _text(f.get("otc_id")),
                "row": _text(f.get("row")),
                "error": str(f.get("error") or ""),
            }
            for n, f in zip(range(KEPT_FAILURES), failures, strict=False)
        ]
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == run_id)
                .values(status=status, finished_at=utcnow(), counts=dumps(counts), error=error)
            )
            if kept:
                conn.execute(insert(self.tables.run_failures), kept)

    def run_failures(self, run_id: int) -> list[dict[str, Any]]:
        """The failed records a run kept: ``external_id``, ``otc_id``, ``row``, ``error``."""
        t = self.tables.run_failures
        query = select(t).where(t.c.run_id == run_id).order_by(t.c.n)
        with self.engine.connect() as conn:
            return [
                {"external_id": r.external_id, "otc_id": r.otc_id, "row": r.row, "error": r.error}
                for r in conn.execute(query)
            ]

    def mark_interrupted(self, job: str, owner: str) -> None:
        """Runs of a lock holder that died are marked ``interrupted`` in the history."""
        t = self.tables.runs
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.job == job, t.c.owner == owner, t.c.status == "running")
                .values(status="interrupted", finished_at=utcnow())
            )

    def history(
        self,
        job: str | None = None,
        limit: int = 20,
        run_id: int | None = None,
        *,
        before: int | None = None,
        after: int | None = None,
        statuses: Iterable[str] = (),
    ) -> list[RunRecord]:
        """The last ``limit`` runs (of ``job``), newest first; or the run ``run_id``.
        ``before``: only runs with a smaller id (the next page); ``after``: the ``limit``
        runs just above that id (the page before); ``statuses``: only those."""
        t = self.tables.runs
        query = select(t).order_by(t.c.id.desc()).limit(limit)
        if after is not None:
            query = select(t).where(t.c.id > after).order_by(t.c.id).limit(limit)
        if job is not None:
            query = query.where(t.c.job == job)
        if run_id is not None:
            query = query.where(t.c.id == run_id)
        if before is not None:
            query = query.where(t.c.id < before)
        if statuses:
            query = query.where(t.c.status.in_(list(statuses)))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        if after is not None:
            rows.reverse()
        return [
            RunRecord(
                row.id,
                row.job,
                row.kind,
                row.status,
                row.started_at,
                row.finished_at,
                json.loads(row.counts or "{}"),
                row.error,
            )
            for row in rows
        ]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
