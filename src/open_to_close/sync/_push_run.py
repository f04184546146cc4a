"""One run of a push (:class:`open_to_close.sync.PropertySyncService`): its report, its
thread pool, its lookups of unconfirmed creates. See :mod:`open_to_close.sync.push`."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..exceptions import (
    AmbiguousWriteError,
    ConfigurationError,
    NotFoundError,
    OpenToCloseAPIError,
    ValidationError,
)
from ._interrupt import Stop, deferred_ctrl_c
from ._lookup import Reader, by_content, by_id_field
from ._time import EPOCH, iso, parse_time
from .job import Run
from .mapping import RowError
from .report import PushReport, error_text
from .sources import SourceRow, iter_source_rows
from .values import FieldValues, content_hash

if TYPE_CHECKING:
    from .push import PropertySyncService

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
        self.stop = Stop()
        self.unsent: set[str] = set()  # intents recorded, their creates not yet submitted
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
        pool = ThreadPoolExecutor(self.s.max_workers, thread_name_prefix="otc-sync")
        with pool, deferred_ctrl_c(self.stop):
            self.pool = pool
            try:
                rows = iter_source_rows(self.s.external_source, since)
                while batch := list(islice(rows, self.s.batch_size)):
                    self._batch(batch)
                self._drain(0)
                self._settle()
            except KeyboardInterrupt:
                self._stop()
                raise
        if not self.dry and self.report.errors == 0:
            cursor = self.newest if self.newest is not None else started
            self.job.set_cursor(_SOURCE_CURSOR, iso(cursor))

    def _stop(self) -> None:
        """Ctrl-C: send nothing more; record what the writes already sent did.

        Writes not yet started are cancelled (their intents dropped: never sent); the
        ones on the wire are awaited and linked, so the report counts what was done.
        """
        self.stop.winding_down = True
        for future in list(self.tasks):
            future.cancel()
        self._drain(0)
        for ext in self.unsent:
            self.job.delete_link(ext)

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
            self.stop.check()
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
        self.stop.check()
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
            creates = {t.external_id: t.digest for t in chunk if t.otc_id is None}
            self.job.add_intents(creates)
            self.unsent.update(creates)
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
        self.unsent.discard(task.external_id)
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
            self.stop.check()
            done = [self.finished.get()]
            while not self.finished.empty():
                done.append(self.finished.get())
            self.in_flight -= len(done)
            cancelled = [self.tasks.pop(f) for f in done if f.cancelled()]
            for task in cancelled:  # Ctrl-C before it was sent
                if task.otc_id is None:
                    self.job.delete_link(task.external_id)
            done = [f for f in done if not f.cancelled()]
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
