"""One job's view of the sync state, and the envelope every run of it goes through.

``state.job("crm")`` binds the job's name once, so an engine calls ``job.links(ids)``
instead of passing the name to every call. ``with job.run("push", report) as run:``
takes the job's lock, records the run as ``running``, and on the way out records it as
``ok``, ``partial`` (some records failed: ``report.errors``), ``failed`` (an exception,
which propagates) or ``interrupted`` (Ctrl-C) with the report's counts. A dry run takes
no lock and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .lock import JobLock
from .report import Report

if TYPE_CHECKING:
    from .state import Conflict, Link, SyncState

__all__ = ["JobState", "Run"]

LinkRow = tuple[str, str | None, str | None, dict[str, Any] | None]


@dataclass(slots=True)
class Run:
    """A run in progress: its id in the history (None for a dry run) and its lock."""

    id: int | None
    lock: JobLock | None
    report: Report

    def check(self) -> None:
        """Stop the run if another process took the job's lock (we stalled past its TTL)."""
        if self.lock is not None and self.lock.lost:
            raise RuntimeError(f"sync job {self.lock.job!r} lost its lock; stopping")


class JobState:
    """The links, cursors, conflicts and runs of one job in a :class:`SyncState`."""

    def __init__(self, state: SyncState, name: str, lock_ttl: float = 60.0) -> None:
        self.state, self.name, self.lock_ttl = state, name, lock_ttl

    def __repr__(self) -> str:
        return f"JobState({self.state!r}, {self.name!r})"

    @contextmanager
    def run(self, kind: str, report: Report, *, dry_run: bool = False) -> Iterator[Run]:
        if dry_run:
            yield Run(None, None, report)
            return
        with self.state.lock(self.name, self.lock_ttl) as lock:
            run_id = self.state.start_run(self.name, kind, lock.owner)
            try:
                yield Run(run_id, lock, report)
            except KeyboardInterrupt:
                # Ctrl-C: what the report counts is what was done; the next run resumes.
                self.state.finish_run(
                    run_id, "interrupted", report.summary(), "interrupted", report.failures
                )
                raise
            except BaseException as exc:
                error = str(exc) or type(exc).__name__
                self.state.finish_run(run_id, "failed", report.summary(), error, report.failures)
                raise
            status = "partial" if report.errors else "ok"
            self.state.finish_run(run_id, status, report.summary(), None, report.failures)

    # -- links -----------------------------------------------------------------------------

    def links(self, external_ids: Iterable[str]) -> dict[str, Link]:
        return self.state.links(self.name, external_ids)

    def links_by_otc(self, otc_ids: Iterable[str]) -> dict[str, Link]:
        return self.state.links_by_otc(self.name, otc_ids)

    def all_links(self) -> Iterator[Link]:
        return self.state.all_links(self.name)

    def count_links(self) -> int:
        return self.state.count_links(self.name)

    def save_link(
        self,
        external_id: str,
        otc_id: str | None,
        content_hash: str | None = None,
        base: dict[str, Any] | None = None,
    ) -> None:
        self.state.save_link(self.name, external_id, otc_id, content_hash, base)

    def save_links(self, links: Iterable[LinkRow]) -> None:
        self.state.save_links(self.name, links)

    def add_intents(self, intents: dict[str, str]) -> None:
        self.state.add_intents(self.name, intents)

    def intents(self) -> dict[str, str | None]:
        return self.state.intents(self.name)

    def delete_link(self, external_id: str) -> None:
        self.state.delete_link(self.name, external_id)

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        return self.state.cursor(self.name, name)

    def set_cursor(self, name: str, value: str) -> None:
        self.state.set_cursor(self.name, name, value)

    # -- conflicts -------------------------------------------------------------------------

    def conflicts(self, status: str | Iterable[str] | None = "open") -> list[Conflict]:
        return self.state.conflicts(self.name, status)

    def record_conflict(
        self,
        external_id: str,
        otc_id: str | None,
        fields: list[str],
        base: dict[str, Any],
        otc_values: dict[str, Any] | None,
        external_values: dict[str, Any] | None,
    ) -> int:
        return self.state.record_conflict(
            self.name, external_id, otc_id, fields, base, otc_values, external_values
        )

    def open_conflict_ids(self) -> set[str]:
        return self.state.open_conflict_ids(self.name)

    def resolve_conflict(
        self, conflict_id: int, use: str, fields: dict[str, str] | None = None
    ) -> Conflict:
        return self.state.resolve_conflict(conflict_id, use, fields)

    def mark_applied(self, conflict_id: int) -> None:
        self.state.mark_applied(conflict_id)
