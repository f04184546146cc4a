"""Pull: Open To Close -> a sink (CSV, JSON Lines, SQL table), incrementally.

The live API has no ``updated_at`` and no ``modified_since``, so each run reads the whole
collection, page by page at the API's size (one scan of N properties is ⌈N/50⌉
requests), and keeps a hash per property of what the sink would receive: only records
that are new or whose hash changed are written. The hashes are stored only after the sink
has the records. If the server is seen to send ``updated_at``, the newest one is kept and
sent as ``modified_since`` next time; the hashes still decide what is written, so a
server that ignores the filter costs requests, never correctness.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ._time import Newest, iso
from .mapping import FieldMapping
from .report import Report
from .state import SyncState, open_state
from .values import FieldValues, content_hash, scan

__all__ = ["PropertyPull"]

_PAGE = 500  # records handed to the sink at once
_UPDATED = "otc_updated"


class PropertyPull:
    """Copy changed Open To Close properties into ``sink`` (``write(records)``, ``close()``).

    Without a mapping, records are written as the API returns them; with one, in the
    sink's field names, plus ``id`` (the Open To Close id) and, when the mapping names an
    ``external_id_field``, ``external_id``.
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
        self.job_state = self.state.job(job, lock_ttl)
        self.progress = progress
        self.values = FieldValues(otc_client)

    def _row(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.mapping is None:
            return record
        values = self.values.read(record, self.mapping.targets)
        row = {**self.mapping.to_external(values), "id": record["id"]}
        field = self.mapping.external_id_field
        if field is not None:
            row["external_id"] = self.values.read(record, [field])[field]
        return row

    def pull(self, since: datetime | None = None) -> dict[str, Any]:
        """Write the records that are new or changed since the last pull.

        Returns ``pulled`` (records written), ``scanned``, ``scan_requests``, ``errors``
        (0: a failure stops the run), ``failures``, ``cursor`` and ``run_id``.
        ``since`` asks the server for records changed after it, if it keeps such times.
        """
        report = Report({"pulled": 0, "scanned": 0})
        with self.job_state.run("pull", report) as run:
            cursor = iso(since) if since else self.job_state.cursor(_UPDATED)
            newest = Newest(cursor)
            known = {link.external_id: link.content_hash for link in self.job_state.all_links()}
            page: list[dict[str, Any]] = []
            hashes: list[tuple[str, str | None, str | None, None]] = []
            listing = scan(self.otc_client, {"modified_since": cursor} if cursor else None)
            for record in listing:
                run.check()
                newest.see(record.get("updated_at"))
                row = self._row(record)
                digest = content_hash(row)
                otc_id = str(record["id"])
                if known.get(otc_id) == digest:
                    continue
                page.append(row)
                hashes.append((otc_id, otc_id, digest, None))
                if len(page) == _PAGE:
                    self._write(page, report)
                    page = []
            self._write(page, report)
            self.sink.close()
            self.job_state.save_links(hashes)  # only once the sink holds the records
            report.counts["scanned"] = listing.count
            report.scan_requests = listing.requests
            if newest.value:
                self.job_state.set_cursor(_UPDATED, newest.value)
        return report.as_dict(cursor=newest.value, run_id=run.id)

    def _write(self, page: list[dict[str, Any]], report: Report) -> None:
        if page:
            self.sink.write(page)
            report.counts["pulled"] += len(page)
            if self.progress is not None:
                self.progress(len(page))
