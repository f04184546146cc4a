"""Two-way sync on the live model: fields it doesn't own stay untouched, lost creates are
found again, and the scheduler survives a two-way job with failing records."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from open_to_close import AmbiguousWriteError, OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.service.config import SyncJob
from open_to_close.service.scheduler import Scheduler
from open_to_close.sync import PropertySyncService, SyncState, TwoWayPropertySync

from ._data import ID_FIELD, ListSource, MemoryExternal, field_value, listing


def _writes(sb: SandboxServer) -> dict[str, int]:
    requests = sb.stats()["requests"]
    return {route: n for route, n in requests.items() if not route.startswith("GET")}


def _ids(client: OpenToCloseAPI) -> Counter[str]:
    records = client.properties.iter_properties(page_size=50)
    return Counter(str(field_value(p, ID_FIELD)) for p in records)


def test_two_way_does_not_clobber_the_id_a_push_wrote(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    rows = [listing(n) for n in range(5)]
    push = PropertySyncService(client, ListSource(rows), state=state, external_id_field=ID_FIELD)
    assert push.sync_properties()["created"] == 5

    # A CRM with its own ids, synced both ways with the same id field: it gets the five
    # records (under ids it picks), and must leave their ID_FIELD alone.
    crm = MemoryExternal()
    two_way = TwoWayPropertySync(client, crm, state=state, job="crm", external_id_field=ID_FIELD)
    result = two_way.sync_bidirectional()
    assert result["otc_to_external"]["created"] == 5 and result["errors"] == 0
    assert all(key.startswith("crm-") for key in crm.rows)
    assert "PATCH /properties/{id}" not in _writes(sb)
    assert _ids(client) == Counter({f"ext_{n}": 1 for n in range(5)})

    crm.put(next(iter(crm.rows)), city="Oakland")  # an edit in the CRM comes back
    assert two_way.sync_bidirectional()["external_to_otc"]["updated"] == 1

    # The push job runs again, and again with its state lost: no duplicate either way.
    rows[0]["city"] = "Oakland"  # the same edit arrives from the push source
    before = _writes(sb)
    again = push.sync_properties()
    assert again["created"] == 0 and again["errors"] == 0
    lost = PropertySyncService(
        client, ListSource(rows), state=state, job="push-again", external_id_field=ID_FIELD
    ).sync_properties()
    assert lost["created"] == 0 and lost["unchanged"] + lost["updated"] == 5
    assert _writes(sb).get("POST /properties") == before["POST /properties"]
    assert _ids(client) == Counter({f"ext_{n}": 1 for n in range(5)})


def test_two_way_fills_nothing_into_records_it_only_reads(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    made = client.properties.create_property({"address": "9 Otc Way"})  # no type, no status
    crm = MemoryExternal()
    sync = TwoWayPropertySync(client, crm, state=sqlite_state)
    result = sync.sync_bidirectional()
    assert result["otc_to_external"]["created"] == 1
    (row,) = crm.rows.values()
    assert row["street_address"] == "9 Otc Way" and row.get("type") is None
    record = client.properties.retrieve_property(made["id"])
    assert record["property_type"] is None and record["status"] is None
    assert _writes(sb) == {"POST /properties": 1}  # only the test's own create
    assert sync.sync_bidirectional()["otc_to_external"]["updated"] == 0


def test_deletes_and_edits_on_both_sides_in_one_run(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    crm = MemoryExternal()
    for n in range(4):
        row = listing(n)
        crm.put(row.pop("id"), **row)
    sync = TwoWayPropertySync(client, crm, state=state, external_id_field=ID_FIELD)
    sync.sync_bidirectional()
    otc = {field_value(p, ID_FIELD): p["id"] for p in client.properties.list_properties()}
    crm.put("ext_0", price=1)
    client.properties.update_property(otc["ext_1"], {"city": "Reno"})
    crm.remove("ext_2")
    client.properties.delete_property(otc["ext_3"])

    result = sync.sync_bidirectional()
    assert result["external_to_otc"] == {"created": 0, "updated": 1, "deleted": 1, "conflicts": 0}
    assert result["otc_to_external"] == {"created": 0, "updated": 1, "deleted": 1, "conflicts": 0}
    assert set(crm.rows) == {"ext_0", "ext_1"} and crm.rows["ext_1"]["city"] == "Reno"
    assert client.properties.retrieve_property(otc["ext_0"])["listing_price"] == 1
    assert set(_ids(client)) == {"ext_0", "ext_1"}


class _LosingAnswers:
    """A client whose creates are made but whose answers are lost, while ``lose`` is set."""

    def __init__(self, client: OpenToCloseAPI) -> None:
        self.client = client
        self.properties = self
        self.property_fields = client.property_fields
        self.lose = True

    def create_property(self, data: Any) -> dict[str, Any]:
        record: dict[str, Any] = self.client.properties.create_property(data)
        if self.lose:
            raise AmbiguousWriteError("POST /properties/ may have been processed")
        return record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client.properties, name)


def test_a_create_whose_answer_was_lost_is_found_not_repeated(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    crm = MemoryExternal()
    for n in range(3):
        row = listing(n)
        crm.put(row.pop("id"), **row)
    losing = _LosingAnswers(client)
    sync = TwoWayPropertySync(losing, crm, state=sqlite_state)  # no id field: by content
    first = sync.sync_bidirectional()
    assert first["errors"] == 3 and "may have been processed" in first["failures"][0]["error"]
    assert sqlite_state.history()[0].status == "partial"

    losing.lose = False
    second = sync.sync_bidirectional()
    assert second["errors"] == 0 and second["external_to_otc"]["created"] == 0
    assert _writes(sb) == {"POST /properties": 3}
    addresses = Counter(p["address"] for p in client.properties.list_properties())
    assert addresses == Counter({f"{n} Main St": 1 for n in range(3)})


def test_the_scheduler_keeps_running_a_two_way_job_with_failing_records(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    crm = tmp_path / "crm.csv"
    rows = [listing(1), listing(2, type="castle")]  # not a property type of the account
    with crm.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"external_id_field": ID_FIELD}))
    job = SyncJob(name="crm", direction="two-way", source=str(crm), mapping=str(mapping), every=1)
    now = [0.0]
    registry = CollectorRegistry()
    scheduler = Scheduler(
        [job], client, f"sqlite:///{tmp_path / 's.db'}", registry, clock=lambda: now[0]
    )
    try:
        assert scheduler.run_due() == 1
        now[0] += 2
        assert scheduler.run_due() == 1
    finally:
        scheduler.close()
    report = scheduler.reports["crm"]
    assert report["errors"] == 1 and "castle" in report["failures"][0]["error"]
    partial = registry.get_sample_value("otc_sync_runs_total", {"job": "crm", "outcome": "partial"})
    assert partial == 2
    assert _ids(client) == Counter({"ext_1": 1})
