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

from datetime import datetime
from typing import Any

from ..exceptions import ConfigurationError
from ._push_run import _Push
from .mapping import FieldMapping
from .report import DetailLevel, Progress, PushReport
from .state import SyncState, open_state
from .values import content_hash

__all__ = ["PropertySyncService", "content_hash", "open_state"]


class PropertySyncService:
    """Push properties from ``external_data_source`` into Open To Close.

    ``external_data_source`` has the guide's ``get_modified_properties(since)`` (or is one
    of :mod:`open_to_close.sync.sources`). ``mapping`` defaults to the guide's transform;
    ``state`` is a :class:`SyncState`, a database URL, or None for ``.otc/state.db`` in the
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
