"""One-way sync: an external source -> Open To Close, exactly once per record.

What the guide's ``PropertySyncService`` does, done so that a second run writes nothing and
lost answers, crashes and lost state create nothing twice, on the live API (which has no
``external_id``, no ``updated_at`` and no idempotent create):

- **Upsert through a link table.** ``source id -> Open To Close id`` is kept in the sync
  state, so a record costs no lookup call. With ``external_id_field`` (a property field
  key, e.g. ``sisu_id_number``) the source id is also written into that field, so a run
  with a fresh (lost) state re-links every existing record from one paged read instead of
  creating or rewriting them.
- **Unchanged records are skipped** by a hash of the values as Open To Close reads them
  back: a second run over the same data makes no API call at all, and a re-linked record
  that already holds the row's values is left alone.
- **Creates are never repeated blindly.** An intent is recorded before a create is sent,
  the link after it. A create whose answer was lost (``AmbiguousWriteError``), or that a
  killed run left as an intent, is looked up before it is sent again: by
  ``external_id_field`` when set, else by content among the records no link claims, all
  in one paged read of the collection per round. A lookup that fails is an error for the
  record, never a reason to create it again.
- **Bounded concurrency.** Writes run on ``max_workers`` threads sharing the one client,
  whose pacer spaces requests to the API's rate limit; the state is written by the calling
  thread only, one commit per group of finished writes.
- **Per-record errors** (a bad row, a refused value) are counted and reported; the run goes
  on. The source cursor advances only after a run without errors.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from ..exceptions import (
    AmbiguousWriteError,
    ConfigurationError,
    NotFoundError,
    OpenToCloseAPIError,
    ValidationError,
)
from ._lookup import Reader, by_content, by_id_field
from ._time import EPOCH, iso, parse_time
from .job import Run
from .mapping import FieldMapping, RowError
from .report import DetailLevel, Progress, PushReport, error_text
from .sources import SourceRow, iter_source_rows
from .state import SyncState, open_state
from .values import FieldValues, content_hash

__all__ = ["PropertySyncService", "content_hash", "open_state"]

_SOURCE_CURSOR = "source"
_ADOPTED = "otc_adopted"  # set once a scan has linked the records that carry our ids
_ROUNDS = 10  # lookups of unknown creates per run before they are reported as errors


@dataclass(slots=True)
class _Task:
    where: str
    external_id: str
    payload: dict[str, Any]
    digest: str
    otc_id: str | None  # None: create
    recreate: bool = False
    sent: bool = False  # a create was sent in this run


def _refused(exc: OpenToCloseAPIError) -> bool:
    """The server answered no (4xx) to a create: nothing was made."""
    if isinstance(exc, AmbiguousWriteError):
        return False
    return isinstance(exc, ValidationError) or 400 <= (exc.status_code or 0) < 500


class PropertySyncService:
    """Push properties from ``external_data_source`` into Open To Close.

    ``external_data_source`` has the guide's ``get_modified_properties(since)`` (or is one
    of :mod:`open_to_close.sync.sources`). ``mapping`` defaults to the guide's transform;
    ``state`` is a :class:`SyncState`, a database URL, or None for ``otc-sync.db`` in the
    working directory. ``job`` names this sync in the state (links, cursor, lock, history).
    ``external_id_field`` (default: the mapping's) is the property field key that holds
    the source id; without it, links live in the sync state only.
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
        external_id_field: str | None = None,
    ) -> None:
        if max_workers < 1 or batch_size < 1:
            raise ValueError("max_workers and batch_size must be at least 1")
        self.otc_client = otc_client
        self.external_source = external_data_source
        self.mapping = mapping or FieldMapping()
        self.external_id_field = external_id_field or self.mapping.external_id_field
        if self.external_id_field in self.mapping.targets:
            raise ConfigurationError(
                f"external_id_field {self.external_id_field!r} is also a mapped field"
            )
        self.state = open_state(state)
        self.job = job
        self.job_state = self.state.job(job, lock_ttl)
        self.max_workers = max_workers
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.details = details
        self.progress = progress

    def sync_properties(
        self, since: datetime | None = None, *, force: bool = False
    ) -> dict[str, Any]:
        """Push the records changed since ``since`` (default: the job's stored cursor).

        Returns ``processed``, ``created``, ``updated``, ``unchanged``, ``errors`` (a
        count), ``failures`` (one dict per failed record), ``details`` (one dict per record:
        ``external_id``, ``otc_id``, ``action``, and ``row``/``error`` for failures),
        ``scan_requests`` and ``run_id``. ``force`` sends even unchanged records.
        """
        report = PushReport(self.details, self.progress, self.dry_run)
        with self.job_state.run("push", report, dry_run=self.dry_run) as run:
            _Push(self, run, report, force).run(since)
        return report.as_dict(run_id=run.id)


class _Push:
    """One run of a push: its report, its pool, what it has seen."""

    def __init__(
        self, service: PropertySyncService, run: Run, report: PushReport, force: bool
    ) -> None:
        self.s, self.envelope, self.report, self.force = service, run, report, force
        self.job, self.dry = service.job_state, service.dry_run
        self.values = FieldValues(service.otc_client)
        self.field = service.external_id_field
        targets = service.mapping.targets
        self.names = (*targets, self.field) if self.field else targets
        self.seen: set[str] = set()
        self.intents: dict[str, str | None] = {}  # creates an earlier run left unconfirmed
        self.unknown: dict[str, _Task] = {}  # creates to look up before sending again
        self.adopted = False
        self.warmed = False
        self.found: dict[str, tuple[str, str]] = {}  # dry runs: ext -> (otc id, digest)
        self.newest: datetime | None = None  # the latest change time seen in the source
        self.in_flight = 0
        # Finished writes arrive here: one queue put per write, instead of waiting on
        # every pending future each time one finishes.
        self.finished: queue.SimpleQueue[Future[dict[str, Any]]] = queue.SimpleQueue()
        self.tasks: dict[Future[dict[str, Any]], _Task] = {}

    def run(self, since: datetime | None) -> None:
        started = datetime.now(UTC)
        if self.field is not None and not self.values.has_key(self.field):
            raise ConfigurationError(
                f"external_id_field {self.field!r} is not a property field of this account "
                "(see client.property_fields.keys())"
            )
        if since is None:
            stored = self.job.cursor(_SOURCE_CURSOR)
            since = parse_time(stored) if stored else EPOCH
        if not self.dry:
            self.intents = self.job.intents()
        with ThreadPoolExecutor(self.s.max_workers, thread_name_prefix="otc-sync") as pool:
            self.pool = pool
            rows = iter_source_rows(self.s.external_source, since)
            while batch := list(islice(rows, self.s.batch_size)):
                self._batch(batch)
            self._drain(0)
            self._settle()
        if not self.dry and self.report.errors == 0:
            cursor = self.newest if self.newest is not None else started
            self.job.set_cursor(_SOURCE_CURSOR, iso(cursor))

    # -- finding what exists ----------------------------------------------------------------

    def _adopt(self) -> None:
        """Fresh state with ``external_id_field``: link the records carrying our ids."""
        self.adopted = True
        assert self.field is not None
        found = by_id_field(self._reader(), self.field, self.names, None)
        known = self.job.links(found)
        fresh = {e: f for e, f in found.items() if e not in known or known[e].otc_id is None}
        for ext in self.intents.keys() - found.keys():
            self.intents.pop(ext)  # read after the create was sent: it was never made
            self.job.delete_link(ext)
        if self.dry:
            self.found.update(fresh)
            return
        self.job.save_links((e, otc_id, digest, None) for e, (otc_id, digest) in fresh.items())
        for ext in fresh:
            self.intents.pop(ext, None)
        self.job.set_cursor(_ADOPTED, iso(datetime.now(UTC)))

    def _reader(self) -> Reader:
        return Reader(self.s.otc_client, self.values, self.report)

    def _look_up(self, unknown: dict[str, _Task]) -> dict[str, tuple[str, str]]:
        """The records that unconfirmed creates made: ext -> (otc id, digest)."""
        linked = {link.otc_id for link in self.job.all_links() if link.otc_id}
        if self.field is not None:
            return by_id_field(self._reader(), self.field, self.names, unknown.keys(), linked)
        digests = {ext: task.digest for ext, task in unknown.items()}
        return by_content(self._reader(), self.names, digests, linked)

    def _settle(self) -> None:
        """Look up the creates whose outcome is unknown; link what exists, create the rest."""
        for _ in range(_ROUNDS):
            if not self.unknown:
                return
            unknown, self.unknown = self.unknown, {}
            if self.dry:
                for task in unknown.values():
                    self.report.add("created", self._detail(task, None))
                continue
            try:
                found = self._look_up(unknown)
            except OpenToCloseAPIError as exc:
                for task in unknown.values():
                    why = f"an earlier create could not be checked: {error_text(exc)}"
                    self.report.error(task.where, task.external_id, why)
                return
            self.job.save_links(
                (ext, otc_id, digest, None) for ext, (otc_id, digest) in found.items()
            )
            # Not found: created again, each behind its intent.
            self.job.save_links(
                (e, None, t.digest, None) for e, t in unknown.items() if e not in found
            )
            for ext, task in unknown.items():
                self.intents.pop(ext, None)
                if ext not in found:
                    self._submit(task)  # its intent is still recorded
                    continue
                otc_id, digest = found[ext]
                if digest == task.digest:
                    action = "created" if task.sent else "unchanged"
                    self.report.add(action, self._detail(task, otc_id))
                else:
                    task.otc_id = otc_id
                    self._submit(task)
            self._drain(0)
        for task in self.unknown.values():
            why = f"create outcome still unknown after {_ROUNDS} lookups; run again"
            self.report.error(task.where, task.external_id, why)

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
                if self.field is not None:
                    payload[self.field] = ext
                digest = content_hash(self.values.canon(payload))
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
            yield _Task(row.where, ext, payload, digest, None)

    def _batch(self, batch: list[SourceRow]) -> None:
        self.envelope.check()
        tasks = list(self._prepare(batch))
        links = self.job.links(t.external_id for t in tasks)
        unlinked = any(t.external_id not in links for t in tasks)
        if self.field and unlinked and not self.adopted and not self.job.cursor(_ADOPTED):
            self._adopt()
            links = self.job.links(t.external_id for t in tasks)
        todo: list[_Task] = []
        for task in tasks:
            ext = task.external_id
            link = links.get(ext)
            if (link is not None and link.otc_id is None) or ext in self.intents:
                self.unknown[ext] = task
                continue
            otc_id, digest = (
                (link.otc_id, link.content_hash) if link else self.found.get(ext, (None, None))
            )
            if otc_id is None:
                todo.append(task)
            elif not self.force and digest == task.digest:
                self.report.add("unchanged", {"external_id": ext, "otc_id": otc_id})
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
        if any(t.otc_id is None for t in todo):
            self._warm()
        window = self.s.max_workers * 4
        for start in range(0, len(todo), window):
            chunk = todo[start : start + window]
            self.job.add_intents({t.external_id: t.digest for t in chunk if t.otc_id is None})
            for task in chunk:
                self._submit(task)

    def _warm(self) -> None:
        """Look the team member up once, here, rather than in every thread's first create."""
        lookup = getattr(
            getattr(self.s.otc_client, "property_fields", None), "team_member_id", None
        )
        if callable(lookup) and not self.warmed:
            self.warmed = True
            lookup()

    def _detail(self, task: _Task, otc_id: str | None) -> dict[str, Any]:
        return {
            "external_id": task.external_id,
            "otc_id": otc_id,
            "address": task.payload.get("address"),
        }

    def _submit(self, task: _Task) -> None:
        properties = self.s.otc_client.properties
        if task.otc_id is None:
            task.sent = True
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
            self.job.save_links(
                (task.external_id, otc_id, task.digest, None) for task, otc_id in succeeded
            )
            for task, otc_id in succeeded:
                detail = self._detail(task, otc_id)
                if task.recreate:
                    detail["note"] = "deleted in Open To Close; created again"
                self.report.add("created" if task.otc_id is None else "updated", detail)

    def _finish(self, task: _Task, future: Future[dict[str, Any]]) -> tuple[_Task, str] | None:
        """The task and its Open To Close id, or None when it failed (and was reported)
        or its outcome is unknown (and will be looked up)."""
        ext, creating = task.external_id, task.otc_id is None
        try:
            record = future.result()
        except NotFoundError as exc:
            if creating:
                self.job.delete_link(ext)
                self.report.error(task.where, ext, error_text(exc))
                return None
            # Deleted in Open To Close since the last run: the source still has it, so it is
            # created again (and linked anew).
            self.job.delete_link(ext)
            self.job.add_intents({ext: task.digest})
            self._submit(_Task(task.where, ext, task.payload, task.digest, None, recreate=True))
            return None
        except OpenToCloseAPIError as exc:
            if creating and not _refused(exc):
                self.unknown[ext] = task  # it may exist: looked up before a second create
                return None
            if creating:
                self.job.delete_link(ext)  # refused: certainly not created
            self.report.error(task.where, ext, error_text(exc), task.otc_id)
            return None
        return task, str(record.get("id", task.otc_id))
