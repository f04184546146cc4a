"""One-way sync: an external source -> Open To Close, exactly once per record.

What the guide's ``PropertySyncService`` does, done so that a second run writes nothing and
a crash loses nothing:

- **Upsert through a link table.** ``external_id -> Open To Close id`` is kept in the sync
  state, so a record costs no lookup call. Records that already exist in Open To Close
  (made by someone else, or by a run that died) are found by reading changed properties
  page by page (500 per call) once per run, not one ``list_properties`` per record.
- **Unchanged records are skipped** by a hash of what would be sent: a second run over the
  same data makes no API call at all.
- **Crash-safe creates.** Before a create is sent, an intent is recorded; after it, the
  link. A run that finds intents without links (the process died, or the answer was lost)
  looks each one up by ``external_id`` before creating anything, and an outage during that
  lookup is an error for the record, never a reason to create it again (the guide's
  ``_find_existing_property`` swallowed every exception and so duplicated on outages).
- **Bounded concurrency.** Writes run on ``max_workers`` threads sharing the one client,
  whose pacer spaces requests to the API's rate limit; the state is written by the calling
  thread only, one commit per record.
- **Per-record errors** (a bad row, a 422) are counted and reported; the run goes on.
  The source cursor advances only after a run without errors, so a failed record is read
  again next time.
"""

from __future__ import annotations

import hashlib
import json
import queue
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from ..exceptions import NotFoundError, OpenToCloseAPIError, ValidationError
from ._time import EPOCH, iso, parse_time
from .mapping import FieldMapping, RowError
from .report import DetailLevel, Progress, PushReport
from .sources import SourceRow, iter_source_rows
from .state import Link, SyncState

__all__ = ["PropertySyncService", "content_hash"]

_RECONCILE_CURSOR = "otc_reconcile"
_SOURCE_CURSOR = "source"
_PAGE = 500


def content_hash(payload: dict[str, Any]) -> str:
    """A stable digest of what would be sent (key order and spacing don't matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def open_state(state: SyncState | str | None) -> SyncState:
    return state if isinstance(state, SyncState) else SyncState(state)


@dataclass(slots=True)
class _Task:
    where: str
    external_id: str
    payload: dict[str, Any]
    digest: str
    otc_id: str | None  # None: create
    recreate: bool = False


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError) and exc.field_errors:
        fields = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        return f"rejected by Open To Close: {fields}"
    return str(exc) or type(exc).__name__


class PropertySyncService:
    """Push properties from ``external_data_source`` into Open To Close.

    ``external_data_source`` has the guide's ``get_modified_properties(since)`` (or is one
    of :mod:`open_to_close.sync.sources`). ``mapping`` defaults to the guide's transform;
    ``state`` is a :class:`SyncState`, a database URL, or None for ``otc-sync.db`` in the
    working directory. ``job`` names this sync in the state (links, cursor, lock, history).
    """

    def __init__(
        self,
        otc_client: Any,
        external_data_source: Any,
        *,
        mapping: FieldMapping | None = None,
        state: SyncState | str | None = None,
        job: str = "properties",
        max_workers: int = 32,
        dry_run: bool = False,
        batch_size: int = 500,
        details: DetailLevel = "all",
        progress: Progress | None = None,
        lock_ttl: float = 60.0,
    ) -> None:
        if max_workers < 1 or batch_size < 1:
            raise ValueError("max_workers and batch_size must be at least 1")
        self.otc_client = otc_client
        self.external_source = external_data_source
        self.mapping = mapping or FieldMapping()
        self.state = open_state(state)
        self.job = job
        self.max_workers = max_workers
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.details = details
        self.progress = progress
        self.lock_ttl = lock_ttl

    def sync_properties(
        self, since: datetime | None = None, *, force: bool = False
    ) -> dict[str, Any]:
        """Push the records changed since ``since`` (default: the job's stored cursor).

        Returns ``processed``, ``created``, ``updated``, ``unchanged``, ``errors`` and
        ``details`` (one dict per record: ``external_id``, ``otc_id``, ``action``, and
        ``row``/``error`` for failures). ``force`` sends even unchanged records.
        """
        report = PushReport(self.details, self.progress, self.dry_run)
        if self.dry_run:
            _Run(self, report, force).run(since)
            return report.as_dict()
        with self.state.lock(self.job, self.lock_ttl) as lock:
            run_id = self.state.start_run(self.job, "push", lock.owner)
            try:
                _Run(self, report, force, lock).run(since)
            except BaseException as exc:
                self.state.finish_run(run_id, "failed", report.counts, _error_text(exc))
                raise
            status = "ok" if report.counts["errors"] == 0 else "partial"
            self.state.finish_run(run_id, status, report.counts)
        return report.as_dict(run_id=run_id)


class _Run:
    """One run of a push: its report, its pool, what it has seen."""

    def __init__(
        self, service: PropertySyncService, report: PushReport, force: bool, lock: Any = None
    ) -> None:
        self.s = service
        self.report = report
        self.force = force
        self.lock = lock
        self.state, self.job, self.dry = service.state, service.job, service.dry_run
        self.seen: set[str] = set()
        self.unresolved: dict[str, str] = {}  # external id -> why its earlier create is unknown
        self.reconciled = False
        self.found: dict[str, str] = {}  # dry runs keep reconciled links here, not in the state
        self.newest: datetime | None = None  # the latest change time seen in the source
        self.in_flight = 0
        # Finished writes arrive here: one queue put per write, instead of waiting on
        # every pending future each time one finishes.
        self.finished: queue.SimpleQueue[Future[dict[str, Any]]] = queue.SimpleQueue()
        self.tasks: dict[Future[dict[str, Any]], _Task] = {}

    def run(self, since: datetime | None) -> None:
        started = datetime.now(UTC)
        if since is None:
            stored = self.state.cursor(self.job, _SOURCE_CURSOR)
            since = parse_time(stored) if stored else EPOCH
        with ThreadPoolExecutor(self.s.max_workers, thread_name_prefix="otc-sync") as pool:
            self.pool = pool
            if not self.dry:
                self._recover()
            rows = iter_source_rows(self.s.external_source, since)
            while batch := list(islice(rows, self.s.batch_size)):
                self._batch(batch)
            self._drain(0)
        if not self.dry and self.report.counts["errors"] == 0:
            cursor = self.newest if self.newest is not None else started
            self.state.set_cursor(self.job, _SOURCE_CURSOR, iso(cursor))

    # -- crash recovery --------------------------------------------------------------------

    def _recover(self) -> None:
        """Settle the creates a previous run sent but never recorded."""
        intents = self.state.intents(self.job)
        lookups = {
            ext: self.pool.submit(
                self.s.otc_client.properties.list_properties, {"external_id": ext}
            )
            for ext in intents
        }
        for ext, future in lookups.items():
            try:
                found = future.result()
            except OpenToCloseAPIError as exc:
                self.unresolved[ext] = f"an earlier create could not be checked: {_error_text(exc)}"
                continue
            matches = [p for p in found if str(p.get("external_id")) == ext]
            if matches:
                first = min(matches, key=lambda p: int(p["id"]) if str(p["id"]).isdigit() else 0)
                self.state.save_link(self.job, ext, str(first["id"]), intents[ext])
            else:
                self.state.delete_link(self.job, ext)

    def _reconcile(self) -> None:
        """Link records that exist in Open To Close but not in our state, reading pages."""
        self.reconciled = True
        cursor = self.state.cursor(self.job, _RECONCILE_CURSOR)
        params = {"modified_since": cursor} if cursor else None
        newest = cursor
        batch: dict[str, str] = {}
        for record in self.s.otc_client.properties.iter_properties(params, page_size=_PAGE):
            ext = record.get("external_id")
            updated = record.get("updated_at")
            if isinstance(updated, str) and (
                newest is None or parse_time(updated) > parse_time(newest)
            ):
                newest = updated
            if ext not in (None, "") and str(ext) not in batch:
                batch[str(ext)] = str(record["id"])
            if len(batch) >= _PAGE:
                self._adopt(batch)
                batch = {}
        self._adopt(batch)
        if newest and not self.dry:
            self.state.set_cursor(self.job, _RECONCILE_CURSOR, newest)

    def _adopt(self, found: dict[str, str]) -> None:
        known = self.state.links(self.job, found)
        for ext, otc_id in found.items():
            if ext in known:
                continue
            if self.dry:
                self.found[ext] = otc_id
            else:
                # No hash: what that record holds is unknown, so the push updates it once.
                self.state.save_link(self.job, ext, otc_id, None)

    # -- the records -----------------------------------------------------------------------

    def _prepare(self, batch: list[SourceRow]) -> Iterator[_Task]:
        mapping = self.s.mapping
        for row in batch:
            if row.data is None:
                self.report.error(row.where, None, row.error or "unreadable row")
                continue
            ext: str | None = None
            try:
                ext = mapping.record_id(row.data)
                payload = mapping.to_otc(row.data)
                if mapping.modified_field and row.data.get(mapping.modified_field):
                    modified = parse_time(row.data[mapping.modified_field])
                    self.newest = max(self.newest or modified, modified)
            except (RowError, ValueError) as exc:
                self.report.error(row.where, ext, str(exc))
                continue
            if ext in self.seen:
                self.report.error(row.where, ext, f"id {ext!r} appears twice; this row skipped")
                continue
            self.seen.add(ext)
            yield _Task(row.where, ext, payload, content_hash(payload), None)

    def _batch(self, batch: list[SourceRow]) -> None:
        if self.lock is not None and self.lock.lost:
            raise RuntimeError(f"sync job {self.job!r} lost its lock; stopping")
        tasks = list(self._prepare(batch))
        links = self.state.links(self.job, [t.external_id for t in tasks])
        if not self.reconciled and any(t.external_id not in links for t in tasks):
            self._reconcile()
            links = self.state.links(self.job, [t.external_id for t in tasks])
        intents: dict[str, str] = {}
        todo: list[_Task] = []
        for task in tasks:
            link = links.get(task.external_id)
            otc_id = link.otc_id if link else self.found.get(task.external_id)
            why = self.unresolved.get(task.external_id)
            if why is None and link is not None and link.otc_id is None:
                why = "an earlier create is still unconfirmed"
            if why is not None:
                self.report.error(task.where, task.external_id, why)
            elif otc_id is None:
                intents[task.external_id] = task.digest
                todo.append(task)
            elif self._unchanged(link, task):
                self.report.add("unchanged", {"external_id": task.external_id, "otc_id": otc_id})
            else:
                task.otc_id = otc_id
                todo.append(task)
        if self.dry:
            for task in todo:
                action = "created" if task.otc_id is None else "updated"
                self.report.add(action, self._detail(task, task.otc_id))
            return
        # Intents are written just ahead of their creates, so that a crash leaves only the
        # few in flight to look up, not the whole batch.
        window = self.s.max_workers * 4
        for start in range(0, len(todo), window):
            chunk = todo[start : start + window]
            self.state.add_intents(
                self.job, {t.external_id: intents[t.external_id] for t in chunk if t.otc_id is None}
            )
            for task in chunk:
                self._submit(task)

    def _unchanged(self, link: Link | None, task: _Task) -> bool:
        return link is not None and not self.force and link.content_hash == task.digest

    def _detail(self, task: _Task, otc_id: str | None) -> dict[str, Any]:
        return {
            "external_id": task.external_id,
            "otc_id": otc_id,
            "address": task.payload.get("address"),
        }

    def _submit(self, task: _Task) -> None:
        properties = self.s.otc_client.properties
        if task.otc_id is None:
            body = {k: v for k, v in task.payload.items() if v is not None}
            future = self.pool.submit(properties.create_property, body)
        else:
            future = self.pool.submit(properties.update_property, task.otc_id, task.payload)
        self.in_flight += 1
        self.tasks[future] = task
        future.add_done_callback(self.finished.put)
        self._drain(self.s.max_workers * 4)

    def _drain(self, limit: int) -> None:
        """Record finished writes until at most ``limit`` are in flight.

        The writes that finished together are linked in one transaction, before any more
        is sent; a crash before it is what the intents recover from.
        """
        while self.in_flight > limit:
            done = [self.finished.get()]
            while not self.finished.empty():
                done.append(self.finished.get())
            self.in_flight -= len(done)
            finished = [self._finish(self.tasks.pop(future), future) for future in done]
            succeeded = [item for item in finished if item is not None]
            self.state.save_links(
                self.job,
                [(task.external_id, otc_id, task.digest, None) for task, otc_id in succeeded],
            )
            for task, otc_id in succeeded:
                detail = self._detail(task, otc_id)
                if task.recreate:
                    detail["note"] = "deleted in Open To Close; created again"
                self.report.add("created" if task.otc_id is None else "updated", detail)

    def _finish(self, task: _Task, future: Future[dict[str, Any]]) -> tuple[_Task, str] | None:
        """The task and its Open To Close id, or None when it failed (and was reported)."""
        ext = task.external_id
        try:
            record = future.result()
        except NotFoundError:
            if task.otc_id is None:
                raise
            # Deleted in Open To Close since the last run: the source still has it, so it is
            # created again (and linked anew).
            self.state.delete_link(self.job, ext)
            self.state.add_intents(self.job, {ext: task.digest})
            self._submit(_Task(task.where, ext, task.payload, task.digest, None, recreate=True))
            return None
        except OpenToCloseAPIError as exc:
            if task.otc_id is None and isinstance(exc, ValidationError):
                self.state.delete_link(self.job, ext)  # refused: certainly not created
            self.report.error(task.where, ext, _error_text(exc))
            return None
        return task, str(record.get("id", task.otc_id))
