"""Pull: Open To Close -> a sink (CSV, JSON Lines, SQL table), incrementally.

Each run reads the properties changed since the job's cursor with ``modified_since``, page
by page (500 a call), and upserts them into the sink. The cursor is the newest
``updated_at`` the API returned, the API's own clock, so no change slips between runs
however far the local clock is off; it is stored only after the sink has the records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ._time import iso, parse_time
from .mapping import FieldMapping
from .push import open_state
from .state import SyncState

__all__ = ["PropertyPull"]

_PAGE = 500


class PropertyPull:
    """Copy changed Open To Close properties into ``sink`` (``write(records)``, ``close()``).

    Without a mapping, records are written as the API returns them; with one, in the
    sink's field names, plus ``id`` (the Open To Close id) and ``external_id``.
    """

    def __init__(
        self,
        otc_client: Any,
        sink: Any,
        *,
        mapping: FieldMapping | None = None,
        state: SyncState | str | None = None,
        job: str = "pull",
        progress: Callable[[int], None] | None = None,
        lock_ttl: float = 60.0,
    ) -> None:
        self.otc_client = otc_client
        self.sink = sink
        self.mapping = mapping
        self.state = open_state(state)
        self.job = job
        self.progress = progress
        self.lock_ttl = lock_ttl

    def _row(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.mapping is None:
            return record
        values = self.mapping.to_external(self.mapping.snapshot(record))
        return {**values, "id": record["id"], "external_id": record.get("external_id")}

    def pull(self, since: datetime | None = None) -> dict[str, Any]:
        """Write the records changed since ``since`` (default: the stored cursor)."""
        with self.state.lock(self.job, self.lock_ttl) as lock:
            run_id = self.state.start_run(self.job, "pull", lock.owner)
            counts = {"pulled": 0}
            try:
                cursor = iso(since) if since else self.state.cursor(self.job, "otc")
                newest = cursor
                params = {"modified_since": cursor} if cursor else None
                page: list[dict[str, Any]] = []
                records = self.otc_client.properties.iter_properties(params, page_size=_PAGE)
                for record in records:
                    page.append(self._row(record))
                    updated = record.get("updated_at")
                    if updated and (newest is None or parse_time(updated) > parse_time(newest)):
                        newest = updated
                    if len(page) == _PAGE:
                        self._write(page, counts)
                        page = []
                self._write(page, counts)
                self.sink.close()
                if newest:
                    self.state.set_cursor(self.job, "otc", newest)
            except BaseException as exc:
                self.state.finish_run(run_id, "failed", counts, str(exc) or type(exc).__name__)
                raise
            self.state.finish_run(run_id, "ok", counts)
        return {**counts, "cursor": newest, "run_id": run_id}

    def _write(self, page: list[dict[str, Any]], counts: dict[str, int]) -> None:
        if page:
            self.sink.write(page)
            counts["pulled"] += len(page)
            if self.progress is not None:
                self.progress(len(page))
