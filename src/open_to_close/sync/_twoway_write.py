"""Two-way sync, the writing half: make both sides hold what was decided.

A :class:`Writer` owns the two sides (the Open To Close client and the external system),
the per-direction counts, and the links waiting to be committed. Links and bases are
committed only after the external side has flushed its writes, so the state never claims
more than the two systems hold.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from ..exceptions import NotFoundError
from .mapping import FieldMapping
from .state import Link, SyncState

LinkRow = tuple[str, str | None, str | None, dict[str, Any] | None]


def _direction() -> dict[str, int]:
    return {"created": 0, "updated": 0, "deleted": 0, "conflicts": 0}


class Writer:
    def __init__(
        self, mapping: FieldMapping, state: SyncState, job: str, otc_client: Any, external: Any
    ) -> None:
        self.mapping, self.state, self.job = mapping, state, job
        self.properties = otc_client.properties
        self.ext = external
        self.o2e, self.e2o = _direction(), _direction()
        self.errors: list[dict[str, Any]] = []
        self.to_save: list[LinkRow] = []

    def commit(self) -> None:
        """External writes are flushed before the links and bases that describe them."""
        flush = getattr(self.ext, "flush", None)
        if callable(flush):
            flush()
        self.state.save_links(self.job, self.to_save)
        self.to_save = []

    def fail(self, external_id: str | None, otc_id: str | None, exc: Exception) -> None:
        self.errors.append({"external_id": external_id, "otc_id": otc_id, "error": str(exc)})

    def ext_snapshot(self, change: Mapping[str, Any]) -> dict[str, Any]:
        values = self.mapping.to_otc({**change["data"], self.mapping.id_field: change["id"]})
        values.pop("external_id", None)
        return values

    def retrieve(self, otc_id: str) -> dict[str, Any] | None:
        try:
            record: dict[str, Any] = self.properties.retrieve_property(otc_id)
        except NotFoundError:
            return None
        return record

    def lookup(self, ext_id: str) -> dict[str, Any] | None:
        """A record an earlier, interrupted run may have created for ``ext_id``."""
        found = self.properties.list_properties({"external_id": ext_id})
        return next((p for p in found if str(p.get("external_id")) == ext_id), None)

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
                # What the external side will read back (its defaults and number forms
                # applied), so the base matches both sides and the next run is quiet.
                target = self.ext_snapshot({"id": ext_id, "data": self.mapping.to_external(target)})
            if target is None:
                if otc is not None and otc_id is not None:
                    self._delete_otc(otc_id)
                    self.e2o["deleted"] += 1
                if ext is not None:
                    self._delete_ext(ext_id)
                    self.o2e["deleted"] += 1
                self.commit()
                self.state.delete_link(self.job, ext_id)
                return
            if otc is None or otc_id is None:
                body = {k: v for k, v in target.items() if v is not None}
                otc_id = str(self.properties.create_property({**body, "external_id": ext_id})["id"])
                self.e2o["created"] += 1
            elif diff := {k: v for k, v in target.items() if otc.get(k) != v}:
                self.properties.update_property(otc_id, diff)
                self.e2o["updated"] += 1
            if ext is None:
                made = self.ext.create_property(self._external_data(target, ext_id))
                ext_id = self._rekey(link, str(made["id"]), otc_id)
                self.o2e["created"] += 1
            elif any(ext.get(k) != v for k, v in target.items()):
                self.ext.update_property(ext_id, self._external_data(target, ext_id))
                self.o2e["updated"] += 1
        except Exception as exc:
            # whatever it raises fails this record, not the run.
            self.fail(ext_id, otc_id, exc)
            return
        self.to_save.append((ext_id, otc_id, None, target))

    def _external_data(self, values: Mapping[str, Any], ext_id: str) -> dict[str, Any]:
        return {**self.mapping.to_external(values), self.mapping.id_field: ext_id}

    def _rekey(self, link: Link, new_ext_id: str, otc_id: str) -> str:
        """The external side chose its own id: move the link and tell Open To Close."""
        if new_ext_id != link.external_id:
            self.state.delete_link(self.job, link.external_id)
            self.properties.update_property(otc_id, {"external_id": new_ext_id})
        return new_ext_id

    def _delete_otc(self, otc_id: str) -> None:
        with contextlib.suppress(NotFoundError):  # already gone: that is what we wanted
            self.properties.delete_property(otc_id)

    def _delete_ext(self, ext_id: str) -> None:
        delete = getattr(self.ext, "delete_property", None)
        if callable(delete):
            delete(ext_id)
