"""Two-way sync between Open To Close and an external system.

The two systems' ids differ, so records are matched through the link table (external id
<-> Open To Close id), never by assuming one id works in both (the guide's code updated
Open To Close with the external id). Each run reads every Open To Close property (the
live API has no ``updated_at`` or ``modified_since``: one scan of N properties is ⌈N/50⌉
requests) and the external changes since its cursor, compares each record's mapped values
with its base snapshot (:mod:`.merge`, field by field), writes what each side is missing
(only the changed fields), and stores the new base. Deletes on either side are carried
over. Two-way sync fills no default into a record and writes no field outside the
mapping, except ``external_id_field`` where it is blank.

``manual`` conflicts are stored in the sync state; later runs leave those records alone
(while keeping the stored values current) until :meth:`TwoWayPropertySync.resolve_conflict`
or ``otc sync conflicts resolve`` decides them; the decision is applied by the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..exceptions import ConfigurationError, OpenToCloseAPIError
from ._time import Newest, iso, parse_time
from ._twoway_write import OtcView, Writer
from .mapping import FieldMapping, RowError
from .merge import STRATEGIES, Decision, apply_resolution, decide, field_choices
from .state import Conflict, Link, SyncState, open_state
from .values import scan

__all__ = ["TwoWayPropertySync"]

_COMMIT_EVERY = 100


@dataclass(slots=True)
class _Pair:
    """One linked record as this run sees it; ``None`` values: no change seen on that side."""

    link: Link
    otc: OtcView | None = None  # the Open To Close record, if it changed
    otc_deleted: bool = False
    ext: dict[str, Any] | None = None  # the external change, if any
    ext_deleted: bool = False


class TwoWayPropertySync:
    """Keep Open To Close and ``external_client`` in step, both ways.

    ``external_client`` has ``get_changes(since)`` (a list of ``{"id", "data",
    "modified_at"}``; ``"deleted": True`` or ``data`` None marks a delete),
    ``update_property(id, data)``, ``create_property(data)`` (returns a dict with ``id``)
    and optionally ``delete_property(id)`` and ``flush()``. ``data`` is in the external
    system's field names; ``mapping`` translates (the guide's transform by default).
    ``external_id_field`` (default: the mapping's) is a property field key that holds the
    external id: set where blank, used to match records, never overwritten.
    """

    def __init__(
        self,
        otc_client: Any,
        external_client: Any,
        conflict_resolution: str = "latest_wins",
        *,
        merge_fallback: str = "latest_wins",
        mapping: FieldMapping | None = None,
        state: SyncState | str | None = None,
        job: str = "two-way",
        detect_otc_deletes: bool = True,
        lock_ttl: float = 60.0,
        external_id_field: str | None = None,
    ) -> None:
        for name, value in (
            ("conflict_resolution", conflict_resolution),
            ("merge_fallback", merge_fallback),
        ):
            if value not in STRATEGIES or (name == "merge_fallback" and value == "merge"):
                raise ConfigurationError(
                    f"{name} {value!r} is not a strategy; use one of: {', '.join(STRATEGIES)}"
                )
        self.otc_client = otc_client
        self.external_client = external_client
        self.conflict_resolution = conflict_resolution
        self.merge_fallback = merge_fallback
        self.mapping = mapping or FieldMapping()
        self.external_id_field = external_id_field or self.mapping.external_id_field
        self.state = open_state(state)
        self.job = job
        self.job_state = self.state.job(job, lock_ttl)
        self.detect_otc_deletes = detect_otc_deletes
        self.lock_ttl = lock_ttl

    # -- public ----------------------------------------------------------------------------

    def sync_bidirectional(self, since: datetime | None = None) -> dict[str, Any]:
        """One run: returns ``otc_to_external`` and ``external_to_otc`` (``created``,
        ``updated``, ``deleted``, ``conflicts``), ``conflicts`` (one dict per conflict met:
        ``otc_id``, ``external_id``, ``fields``, ``resolution``), ``errors`` (a count),
        ``failures`` (one dict per failed record), ``scan_requests`` and ``run_id``."""
        run = _Run(self)
        with self.job_state.run("two-way", run.report) as envelope:
            run.run(since)
        return run.result(envelope.id)

    def conflicts(self) -> list[Conflict]:
        """The conflicts waiting for a decision (``manual``)."""
        return self.job_state.conflicts("open")

    def resolve_conflict(
        self, conflict_id: int, use: str, fields: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Decide a stored conflict (``use``: ``otc``, ``external``, or ``merge`` with
        ``fields``: each conflicting field -> ``otc`` or ``external``) and apply it now."""
        with self.state.lock(self.job, self.lock_ttl):
            conflict = self.job_state.resolve_conflict(conflict_id, use, fields)
            run = _Run(self)
            run.apply_resolved(conflict)
            run.commit()
            return run.result(None)


class _Run(Writer):
    """One run (or one applied resolution): reads both sides, decides, writes."""

    def __init__(self, sync: TwoWayPropertySync) -> None:
        super().__init__(
            sync.mapping,
            sync.job_state,
            sync.otc_client,
            sync.external_client,
            sync.external_id_field,
        )
        self.s = sync
        self.conflicts: list[dict[str, Any]] = []

    def result(self, run_id: int | None) -> dict[str, Any]:
        return self.report.as_dict(conflicts=self.conflicts, run_id=run_id)

    # -- reading both sides ----------------------------------------------------------------

    def run(self, since: datetime | None) -> None:
        if self.field is not None and not self.values.has_key(self.field):
            raise ConfigurationError(
                f"external_id_field {self.field!r} is not a property field of this account"
            )
        for conflict in self.job.conflicts("resolved"):
            self.apply_resolved(conflict)
        self.commit()
        ext_cursor = iso(since) if since else self.job.cursor("external")
        listing = scan(self.s.otc_client)
        for record in listing:
            view = self.view(record)
            self.views[view.id] = view
        self.report.scan_requests = listing.requests
        raw = self.ext.get_changes(parse_time(ext_cursor) if ext_cursor else None)
        ext_changes = {str(c["id"]): c for c in raw}
        newest = Newest()
        for change in raw:
            newest.see(change.get("modified_at"))
        self._process(ext_changes)
        self.commit()
        if not self.report.errors and newest.value is not None:
            self.job.set_cursor("external", iso(parse_time(newest.value)))

    def _process(self, ext_changes: dict[str, Mapping[str, Any]]) -> None:
        linked = {link.otc_id: link for link in self.job.all_links() if link.otc_id}
        by_ext = self.job.links(ext_changes)
        pairs: dict[str, _Pair] = {}
        new_otc: dict[str, OtcView] = {}
        for otc_id, view in self.views.items():
            link = linked.get(otc_id)
            if link is None:
                new_otc[otc_id] = view
            elif link.base is None or view.values != link.base:
                pairs.setdefault(link.external_id, _Pair(link)).otc = view
        for ext_id, change in ext_changes.items():
            if ext_id in by_ext and by_ext[ext_id].otc_id is not None:
                pair = pairs.setdefault(ext_id, _Pair(by_ext[ext_id]))
                if change.get("deleted") or change.get("data") is None:
                    pair.ext_deleted = True
                else:
                    pair.ext = dict(change)
        lists_all = getattr(self.ext, "lists_all", False)
        for link in linked.values():
            gone_ext = lists_all and link.external_id not in ext_changes
            gone_otc = self.s.detect_otc_deletes and link.otc_id not in self.views
            if gone_ext or gone_otc:
                pair = pairs.setdefault(link.external_id, _Pair(link))
                pair.ext_deleted |= gone_ext
                pair.otc_deleted |= gone_otc
        held = self.job.open_conflict_ids()
        for n, pair in enumerate(pairs.values(), start=1):
            self._pair(pair, held)
            if n % _COMMIT_EVERY == 0:
                self.commit()
        intents = {k for k, link in by_ext.items() if link.otc_id is None}
        self._new_records(
            {k: c for k, c in ext_changes.items() if k not in by_ext or k in intents},
            new_otc,
            intents,
        )

    # -- linked records --------------------------------------------------------------------

    def _snapshots(self, pair: _Pair) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Each side's values now: the change seen, None if deleted, else the base."""
        base = pair.link.base
        otc = None if pair.otc_deleted else pair.otc.values if pair.otc else base
        ext = None if pair.ext_deleted else self.ext_snapshot(pair.ext) if pair.ext else base
        return otc, ext

    def _times(self, pair: _Pair) -> tuple[datetime | None, datetime | None]:
        ext = pair.ext
        ext_time = parse_time(ext["modified_at"]) if ext and ext.get("modified_at") else None
        return (pair.otc.updated if pair.otc else None), ext_time

    def _pair(self, pair: _Pair, held: set[str]) -> None:
        link = pair.link
        try:
            if link.base is None:
                self._first_sync(pair)
                return
            otc, ext = self._snapshots(pair)
        except (RowError, OpenToCloseAPIError) as exc:
            self.fail(link.external_id, link.otc_id, exc)
            return
        if link.external_id in held:
            self._hold(pair, otc, ext)
            return
        if otc == link.base and ext == link.base:
            return  # our own writes read back, or a file row that did not change
        strategy, fallback = self.s.conflict_resolution, self.s.merge_fallback
        decision = decide(link.base, otc, ext, strategy, fallback, *self._times(pair))
        self._settle(link, link.base, otc, ext, decision)

    def _first_sync(self, pair: _Pair) -> None:
        """A record never synced to the end: new on one side, matched by the external id
        field or by content, or left half-done by an interrupted run. A missing side is
        created, not deleted."""
        link, view = pair.link, pair.otc
        if view is None and not pair.otc_deleted and link.otc_id is not None:
            view = self.views.get(link.otc_id)
        pair.otc = view
        otc = view.values if view is not None else None
        ext = self.ext_snapshot(pair.ext) if pair.ext is not None else None
        if otc is not None and ext is not None:
            strategy, fallback = self.s.conflict_resolution, self.s.merge_fallback
            decision = decide(None, otc, ext, strategy, fallback, *self._times(pair))
            self._settle(link, {}, otc, ext, decision)
        elif otc is not None or ext is not None:
            self.write(link, otc, ext, otc if otc is not None else ext)
        else:
            self.job.delete_link(link.external_id)

    def _hold(self, pair: _Pair, otc: dict[str, Any] | None, ext: dict[str, Any] | None) -> None:
        """A record with an undecided conflict: keep its stored values current, write nothing."""
        link = pair.link
        for conflict in self.job.conflicts("open"):
            if conflict.external_id != link.external_id:
                continue
            seen_otc = pair.otc is not None or pair.otc_deleted
            seen_ext = pair.ext is not None or pair.ext_deleted
            self.job.record_conflict(
                link.external_id,
                link.otc_id,
                conflict.fields,
                conflict.base,
                otc if seen_otc else conflict.otc_values,
                ext if seen_ext else conflict.external_values,
            )

    def _settle(
        self,
        link: Link,
        base: dict[str, Any],
        otc: dict[str, Any] | None,
        ext: dict[str, Any] | None,
        decision: Decision,
    ) -> None:
        if decision.resolution is not None:
            entry: dict[str, Any] = {
                "otc_id": link.otc_id,
                "external_id": link.external_id,
                "fields": decision.conflicts,
                "resolution": decision.resolution,
            }
            if decision.manual:
                entry["conflict_id"] = self.job.record_conflict(
                    link.external_id, link.otc_id, decision.conflicts, base, otc, ext
                )
                self.o2e["conflicts"] += 1
                self.e2o["conflicts"] += 1
                self.conflicts.append(entry)
                return
            self.conflicts.append(entry)
            if decision.resolution != "external_wins":
                self.o2e["conflicts"] += 1
            if decision.resolution != "otc_wins":
                self.e2o["conflicts"] += 1
        self.write(link, otc, ext, decision.target)

    def apply_resolved(self, conflict: Conflict) -> None:
        link = self.job.links([conflict.external_id]).get(conflict.external_id)
        if link is None or conflict.resolution is None:
            self.job.mark_applied(conflict.id)
            return
        decision = apply_resolution(
            conflict.base,
            conflict.otc_values,
            conflict.external_values,
            conflict.resolution,
            conflict.fields,
        )
        self.write(link, conflict.otc_values, conflict.external_values, decision.target)
        self.job.mark_applied(conflict.id)
        self.conflicts.append(
            {
                "otc_id": link.otc_id,
                "external_id": link.external_id,
                "fields": conflict.fields,
                "resolution": "merged"
                if field_choices(conflict.fields, conflict.resolution) is not None
                else f"{conflict.resolution}_wins",
                "conflict_id": conflict.id,
            }
        )

    # -- records new on one side -----------------------------------------------------------

    def _match(
        self, ext_id: str, change: Mapping[str, Any], new_otc: dict[str, OtcView], recover: bool
    ) -> OtcView | None:
        """The unlinked Open To Close record that is this external row: the one carrying
        its id in the external id field, or, for a create an earlier run may have made,
        the one holding the same values."""
        if self.field is not None:
            match = next((v for v in new_otc.values() if v.ext_id == ext_id), None)
            if match is not None or not recover:
                return match
        if not recover:
            return None
        values = self.ext_snapshot(change)
        return next((v for v in new_otc.values() if v.values == values), None)

    def _new_records(
        self,
        new_ext: dict[str, Mapping[str, Any]],
        new_otc: dict[str, OtcView],
        intents: set[str],
    ) -> None:
        """Create each new record on the other side, or link it to its match."""
        for ext_id, change in new_ext.items():
            if change.get("deleted") or change.get("data") is None:
                continue
            try:
                match = self._match(ext_id, change, new_otc, ext_id in intents)
            except RowError as exc:
                self.fail(ext_id, None, exc)
                continue
            if match is not None:
                new_otc.pop(match.id, None)
            link = Link(ext_id, match.id if match else None, None, None)
            # Recorded before anything is created: the next run knows to look first.
            self.job.save_link(ext_id, link.otc_id, None, None)
            self._pair(_Pair(link, otc=match, ext=dict(change)), set())
        taken = set(self.job.links(v.ext_id for v in new_otc.values() if v.ext_id))
        for otc_id, view in new_otc.items():
            ext_id = view.ext_id if view.ext_id and view.ext_id not in taken else f"otc-{otc_id}"
            taken.add(ext_id)
            link = Link(ext_id, otc_id, None, None)
            self.job.save_link(ext_id, otc_id, None, None)
            self._pair(_Pair(link, otc=view), set())
