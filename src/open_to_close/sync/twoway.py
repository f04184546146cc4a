"""Two-way sync between Open To Close and an external system.

The two systems' ids differ, so records are matched through the link table (external id
<-> Open To Close id), never by assuming one id works in both (the guide's code updated
Open To Close with the external id). Each run reads the changes of both sides since their
cursors, decides each record against its base snapshot (:mod:`.merge`), writes what each
side is missing, and stores the new base. Deletes on either side are carried over.

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
from ._time import iso, parse_time
from ._twoway_write import Writer
from .mapping import FieldMapping, RowError
from .merge import STRATEGIES, Decision, apply_resolution, decide
from .push import open_state
from .state import Conflict, Link, SyncState

__all__ = ["TwoWayPropertySync"]

_PAGE = 500
_COMMIT_EVERY = 100


@dataclass(slots=True)
class _Pair:
    """One linked record as this run sees it; ``None`` values: no change seen on that side."""

    link: Link
    otc: dict[str, Any] | None = None  # the Open To Close record, if it changed
    otc_deleted: bool = False
    ext: dict[str, Any] | None = None  # the external change, if any
    ext_deleted: bool = False
    recover: bool = False  # an interrupted run may have created it in Open To Close


class TwoWayPropertySync:
    """Keep Open To Close and ``external_client`` in step, both ways.

    ``external_client`` has ``get_changes(since)`` (a list of ``{"id", "data",
    "modified_at"}``; ``"deleted": True`` or ``data`` None marks a delete),
    ``update_property(id, data)``, ``create_property(data)`` (returns a dict with ``id``)
    and optionally ``delete_property(id)`` and ``flush()``. ``data`` is in the external
    system's field names; ``mapping`` translates (the guide's transform by default).
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
        self.state = open_state(state)
        self.job = job
        self.detect_otc_deletes = detect_otc_deletes
        self.lock_ttl = lock_ttl

    # -- public ----------------------------------------------------------------------------

    def sync_bidirectional(self, since: datetime | None = None) -> dict[str, Any]:
        """One run: returns ``otc_to_external`` and ``external_to_otc`` (``created``,
        ``updated``, ``deleted``, ``conflicts``), ``conflicts`` (one dict per conflict met:
        ``otc_id``, ``external_id``, ``fields``, ``resolution``) and ``errors``."""
        with self.state.lock(self.job, self.lock_ttl) as lock:
            run_id = self.state.start_run(self.job, "two-way", lock.owner)
            run = _Run(self)
            try:
                run.run(since)
            except BaseException as exc:
                self.state.finish_run(
                    run_id, "failed", run.counts(), str(exc) or type(exc).__name__
                )
                raise
            self.state.finish_run(run_id, "partial" if run.errors else "ok", run.counts())
            return run.result(run_id)

    def conflicts(self) -> list[Conflict]:
        """The conflicts waiting for a decision (``manual``)."""
        return self.state.conflicts(self.job, "open")

    def resolve_conflict(self, conflict_id: int, use: str) -> dict[str, Any]:
        """Decide a stored conflict (``use``: ``otc`` or ``external``) and apply it now."""
        with self.state.lock(self.job, self.lock_ttl):
            conflict = self.state.resolve_conflict(conflict_id, use)
            run = _Run(self)
            run.apply_resolved(conflict)
            run.commit()
            return run.result(None)


class _Run(Writer):
    """One run (or one applied resolution): reads both sides, decides, writes."""

    def __init__(self, sync: TwoWayPropertySync) -> None:
        super().__init__(sync.mapping, sync.state, sync.job, sync.otc_client, sync.external_client)
        self.s = sync
        self.conflicts: list[dict[str, Any]] = []

    def counts(self) -> dict[str, Any]:
        return {
            "otc_to_external": self.o2e,
            "external_to_otc": self.e2o,
            "errors": len(self.errors),
        }

    def result(self, run_id: int | None) -> dict[str, Any]:
        return {
            "otc_to_external": self.o2e,
            "external_to_otc": self.e2o,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "run_id": run_id,
        }

    # -- reading both sides ----------------------------------------------------------------

    def run(self, since: datetime | None) -> None:
        for conflict in self.state.conflicts(self.job, "resolved"):
            self.apply_resolved(conflict)
        self.commit()
        otc_cursor = iso(since) if since else self.state.cursor(self.job, "otc")
        ext_cursor = iso(since) if since else self.state.cursor(self.job, "external")
        otc_changes, otc_ids, otc_newest = self._otc_changes(otc_cursor)
        raw = self.ext.get_changes(parse_time(ext_cursor) if ext_cursor else None)
        ext_changes = {str(c["id"]): c for c in raw}
        ext_newest = max(
            (parse_time(c["modified_at"]) for c in raw if c.get("modified_at")), default=None
        )
        self._process(otc_changes, otc_ids, ext_changes)
        self.commit()
        if not self.errors:
            if otc_newest:
                self.state.set_cursor(self.job, "otc", otc_newest)
            if ext_newest is not None:
                self.state.set_cursor(self.job, "external", iso(ext_newest))

    def _otc_changes(
        self, cursor: str | None
    ) -> tuple[dict[str, dict[str, Any]], set[str] | None, str | None]:
        """Changed records by id, every id (when scanning for deletes), the newest time."""
        changes: dict[str, dict[str, Any]] = {}
        newest = cursor
        since = parse_time(cursor) if cursor else None
        scan = self.s.detect_otc_deletes
        params = None if scan or cursor is None else {"modified_since": cursor}
        ids: set[str] = set()
        for record in self.properties.iter_properties(params, page_size=_PAGE):
            ids.add(str(record["id"]))
            updated = parse_time(record["updated_at"])
            if since is None or updated > since:
                changes[str(record["id"])] = record
                if newest is None or updated > parse_time(newest):
                    newest = record["updated_at"]
        return changes, ids if scan else None, newest

    def _process(
        self,
        otc_changes: dict[str, dict[str, Any]],
        otc_ids: set[str] | None,
        ext_changes: dict[str, Mapping[str, Any]],
    ) -> None:
        by_ext = self.state.links(self.job, ext_changes)
        by_otc = self.state.links_by_otc(self.job, otc_changes)
        pairs: dict[str, _Pair] = {}
        for otc_id, record in otc_changes.items():
            if otc_id in by_otc:
                link = by_otc[otc_id]
                pairs.setdefault(link.external_id, _Pair(link)).otc = record
        for ext_id, change in ext_changes.items():
            if ext_id in by_ext and by_ext[ext_id].otc_id is not None:
                pair = pairs.setdefault(ext_id, _Pair(by_ext[ext_id]))
                if change.get("deleted") or change.get("data") is None:
                    pair.ext_deleted = True
                else:
                    pair.ext = dict(change)
        lists_all = getattr(self.ext, "lists_all", False)
        if lists_all or otc_ids is not None:
            for link in self.state.all_links(self.job):
                gone_ext = lists_all and link.external_id not in ext_changes
                gone_otc = otc_ids is not None and link.otc_id not in otc_ids
                if gone_ext or gone_otc:
                    pair = pairs.setdefault(link.external_id, _Pair(link))
                    pair.ext_deleted |= gone_ext
                    pair.otc_deleted |= gone_otc
        held = self.state.open_conflict_ids(self.job)
        for n, pair in enumerate(pairs.values(), start=1):
            self._pair(pair, held)
            if n % _COMMIT_EVERY == 0:
                self.commit()
        intents = {k for k, link in by_ext.items() if link.otc_id is None}
        self._new_records(
            {k: c for k, c in ext_changes.items() if k not in by_ext or k in intents},
            {k: r for k, r in otc_changes.items() if k not in by_otc},
            intents,
        )

    # -- linked records --------------------------------------------------------------------

    def _snapshots(self, pair: _Pair) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Each side's values now: the change seen, None if deleted, else the base."""
        base = pair.link.base
        otc = None if pair.otc_deleted else self.mapping.snapshot(pair.otc) if pair.otc else base
        ext = None if pair.ext_deleted else self.ext_snapshot(pair.ext) if pair.ext else base
        return otc, ext

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
        decision = decide(
            link.base,
            otc,
            ext,
            self.s.conflict_resolution,
            self.s.merge_fallback,
            parse_time(pair.otc["updated_at"]) if pair.otc else None,
            parse_time(pair.ext["modified_at"])
            if pair.ext and pair.ext.get("modified_at")
            else None,
        )
        self._settle(link, link.base, otc, ext, decision)

    def _first_sync(self, pair: _Pair) -> None:
        """A record never synced to the end: new on one side, matched by ``external_id``,
        or left half-done by an interrupted run. A missing side is created, not deleted."""
        link, otc_record = pair.link, pair.otc
        if otc_record is None and not pair.otc_deleted:
            if link.otc_id is not None:
                otc_record = self.retrieve(link.otc_id)
            elif pair.recover:
                otc_record = self.lookup(link.external_id)
        if otc_record is not None and link.otc_id != str(otc_record["id"]):
            link = Link(link.external_id, str(otc_record["id"]), None, None)
        otc = self.mapping.snapshot(otc_record) if otc_record is not None else None
        ext = self.ext_snapshot(pair.ext) if pair.ext is not None else None
        if otc is not None and ext is not None:
            decision = decide(
                None,
                otc,
                ext,
                self.s.conflict_resolution,
                self.s.merge_fallback,
                parse_time(otc_record["updated_at"]) if otc_record else None,
                parse_time(pair.ext["modified_at"])
                if pair.ext and pair.ext.get("modified_at")
                else None,
            )
            self._settle(link, {}, otc, ext, decision)
        elif otc is not None or ext is not None:
            self.write(link, otc, ext, otc if otc is not None else ext)
        else:
            self.state.delete_link(self.job, link.external_id)

    def _hold(self, pair: _Pair, otc: dict[str, Any] | None, ext: dict[str, Any] | None) -> None:
        """A record with an undecided conflict: keep its stored values current, write nothing."""
        link = pair.link
        for conflict in self.state.conflicts(self.job, "open"):
            if conflict.external_id != link.external_id:
                continue
            seen_otc = pair.otc is not None or pair.otc_deleted
            seen_ext = pair.ext is not None or pair.ext_deleted
            self.state.record_conflict(
                self.job,
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
                entry["conflict_id"] = self.state.record_conflict(
                    self.job, link.external_id, link.otc_id, decision.conflicts, base, otc, ext
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
        link = self.state.links(self.job, [conflict.external_id]).get(conflict.external_id)
        if link is None or conflict.resolution is None:
            self.state.mark_applied(conflict.id)
            return
        decision = apply_resolution(
            conflict.base, conflict.otc_values, conflict.external_values, conflict.resolution
        )
        self.write(link, conflict.otc_values, conflict.external_values, decision.target)
        self.state.mark_applied(conflict.id)
        self.conflicts.append(
            {
                "otc_id": link.otc_id,
                "external_id": link.external_id,
                "fields": conflict.fields,
                "resolution": f"{conflict.resolution}_wins",
                "conflict_id": conflict.id,
            }
        )

    # -- records new on one side -----------------------------------------------------------

    def _new_records(
        self,
        new_ext: dict[str, Mapping[str, Any]],
        new_otc: dict[str, dict[str, Any]],
        intents: set[str],
    ) -> None:
        """Create each new record on the other side. An Open To Close record that carries
        the external id (``external_id``) is linked to that row instead."""
        otc_by_ext = {str(r["external_id"]): r for r in new_otc.values() if r.get("external_id")}
        for ext_id, change in new_ext.items():
            if change.get("deleted") or change.get("data") is None:
                continue
            match = otc_by_ext.pop(ext_id, None)
            if match is not None:
                new_otc.pop(str(match["id"]), None)
            link = Link(ext_id, str(match["id"]) if match else None, None, None)
            # Recorded before anything is created: the next run knows to look first.
            self.state.save_link(self.job, ext_id, link.otc_id, None, None)
            pair = _Pair(link, otc=match, ext=dict(change), recover=ext_id in intents)
            self._pair(pair, set())
        for otc_id, record in new_otc.items():
            ext_id = str(record.get("external_id") or f"otc-{otc_id}")
            link = Link(ext_id, otc_id, None, None)
            self.state.save_link(self.job, ext_id, otc_id, None, None)
            self._pair(_Pair(link, otc=record), set())
