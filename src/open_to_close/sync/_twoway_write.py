"""Two-way sync, the writing half: make both sides hold what was decided.

A :class:`Writer` owns the two sides (the Open To Close client and the external system),
the per-direction counts, and the links waiting to be committed. Links and bases are
committed only after the external side has flushed its writes, so the state never claims
more than the two systems hold.

Open To Close is written field by field: an update sends only the mapped fields whose
value differs (a PATCH of the changed fields), a create only the non-blank ones. The
external id field (``external_id_field``) is written only where it is blank: a value
another job set (a push's source id) is never overwritten.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..exceptions import NotFoundError
from ._time import parse_time
from .job import JobState
from .mapping import FieldMapping
from .report import Report
from .state import Link
from .values import FieldValues

LinkRow = tuple[str, str | None, str | None, dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class OtcView:
    """What a run keeps of an Open To Close record: its mapped values, its external id
    field's value, and its change time when the server sends one."""

    id: str
    values: dict[str, Any]
    ext_id: str | None = None
    updated: datetime | None = None


def _direction() -> dict[str, int]:
    return {"created": 0, "updated": 0, "deleted": 0, "conflicts": 0}


class Writer:
    def __init__(
        self,
        mapping: FieldMapping,
        job: JobState,
        otc_client: Any,
        external: Any,
        external_id_field: str | None,
    ) -> None:
        self.mapping, self.job, self.field = mapping, job, external_id_field
        self.properties = otc_client.properties
        self.values = FieldValues(otc_client)
        self.ext = external
        self.o2e, self.e2o = _direction(), _direction()
        self.report = Report({"otc_to_external": self.o2e, "external_to_otc": self.e2o})
        self.views: dict[str, OtcView] = {}  # every record of this run's scan, by id
        self.to_save: list[LinkRow] = []

    def commit(self) -> None:
        """External writes are flushed before the links and bases that describe them."""
        flush = getattr(self.ext, "flush", None)
        if callable(flush):
            flush()
        self.job.save_links(self.to_save)
        self.to_save = []

    def fail(self, external_id: str | None, otc_id: str | None, exc: Exception) -> None:
        self.report.fail(external_id, str(exc) or type(exc).__name__, otc_id=otc_id)

    def ext_snapshot(self, change: Mapping[str, Any]) -> dict[str, Any]:
        """The external record's values as Open To Close would read them back."""
        data = {**change["data"], self.mapping.id_field: change["id"]}
        return self.values.canon(self.mapping.to_otc(data, defaults=False))

    def view(self, record: Mapping[str, Any]) -> OtcView:
        ext_id = None
        if self.field is not None:
            value = self.values.read(record, [self.field])[self.field]
            ext_id = None if value is None else str(value)
        updated = record.get("updated_at")
        return OtcView(
            str(record["id"]),
            self.values.read(record, self.mapping.targets),
            ext_id,
            parse_time(updated) if updated else None,
        )

    def write(
        self,
        link: Link,
        otc: dict[str, Any] | None,
        ext: dict[str, Any] | None,
        target: dict[str, Any] | None,
    ) -> None:
        """Make both sides hold ``target`` (None: delete the record on both)."""
        ext_id, otc_id = link.external_id, link.otc_id
        try:
            if target is not None:
                # What the external side will read back (its number forms applied), so the
                # base matches both sides and the next run is quiet.
                target = self.ext_snapshot({"id": ext_id, "data": self.mapping.to_external(target)})
            if target is None:
                if otc is not None and otc_id is not None:
                    self._delete_otc(otc_id)
                    self.e2o["deleted"] += 1
                if ext is not None:
                    self._delete_ext(ext_id)
                    self.o2e["deleted"] += 1
                self.commit()
                self.job.delete_link(ext_id)
                return
            if ext is None:
                made = self.ext.create_property(self._external_data(target, ext_id))
                ext_id = self._rekey(link, str(made["id"]))
                self.o2e["created"] += 1
            if otc is None or otc_id is None:
                body = {k: v for k, v in target.items() if v is not None}
                if self.field is not None:
                    body[self.field] = ext_id
                otc_id = str(self.properties.create_property(body)["id"])
                self.e2o["created"] += 1
            else:
                diff = {k: v for k, v in target.items() if otc.get(k) != v}
                view = self.views.get(otc_id)
                claim = self.field is not None and view is not None and view.ext_id is None
                if diff or claim:
                    body = {**diff, self.field: ext_id} if claim and self.field else diff
                    self.properties.update_property(otc_id, body)
                if diff:
                    self.e2o["updated"] += 1
            if ext is not None and any(ext.get(k) != v for k, v in target.items()):
                self.ext.update_property(ext_id, self._external_data(target, ext_id))
                self.o2e["updated"] += 1
        except Exception as exc:
            # whatever it raises fails this record, not the run.
            self.fail(ext_id, otc_id, exc)
            return
        self.to_save.append((ext_id, otc_id, None, target))

    def _external_data(self, values: Mapping[str, Any], ext_id: str) -> dict[str, Any]:
        return {**self.mapping.to_external(values), self.mapping.id_field: ext_id}

    def _rekey(self, link: Link, new_ext_id: str) -> str:
        """The external side chose its own id: the link moves to it."""
        if new_ext_id != link.external_id:
            self.job.delete_link(link.external_id)
        return new_ext_id

    def _delete_otc(self, otc_id: str) -> None:
        with contextlib.suppress(NotFoundError):  # already gone: that is what we wanted
            self.properties.delete_property(otc_id)

    def _delete_ext(self, ext_id: str) -> None:
        delete = getattr(self.ext, "delete_property", None)
        if callable(delete):
            delete(ext_id)
