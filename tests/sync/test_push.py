"""One-way push against the sandbox: upsert by link, skip by hash, resume after failures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import PropertySyncService, SyncState

from ._data import ListSource, listing


def _by_external_id(client: OpenToCloseAPI) -> Counter[str]:
    return Counter(
        str(p.get("external_id")) for p in client.properties.iter_properties(page_size=500)
    )


def _writes(sb: SandboxServer) -> int:
    requests = sb.stats()["requests"]
    return sum(n for route, n in requests.items() if not route.startswith("GET"))


def test_second_run_writes_nothing(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    source = ListSource([listing(n) for n in range(120)])
    service = PropertySyncService(client, source, state=state)

    first = service.sync_properties()
    assert (first["processed"], first["created"], first["errors"]) == (120, 120, 0)
    # One paged read to find records that already exist, then one write per record.
    assert sb.stats()["requests"] == {"GET /properties": 1, "POST /properties": 120}
    assert {d["action"] for d in first["details"]} == {"created"}

    before = sb.stats()["total"]
    second = service.sync_properties()
    assert (second["processed"], second["unchanged"]) == (120, 120)
    assert second["created"] == second["updated"] == second["errors"] == 0
    assert sb.stats()["total"] == before  # not a single API call
    assert _by_external_id(client) == Counter({f"ext_{n}": 1 for n in range(120)})


def test_changed_rows_are_updated_and_the_counts_add_up(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    rows = [listing(n) for n in range(20)]
    source = ListSource(rows)
    service = PropertySyncService(client, source, state=sqlite_state)
    service.sync_properties()
    rows[3]["price"] = 1
    rows[7]["status"] = "sold"
    rows.append(listing(99))

    result = service.sync_properties()
    counts = {k: result[k] for k in ("processed", "created", "updated", "unchanged", "errors")}
    assert counts == {"processed": 21, "created": 1, "updated": 2, "unchanged": 18, "errors": 0}
    assert counts["processed"] == sum(v for k, v in counts.items() if k != "processed")
    updated = {d["external_id"] for d in result["details"] if d["action"] == "updated"}
    assert updated == {"ext_3", "ext_7"}
    found = client.properties.list_properties({"external_id": "ext_7"})
    assert found[0]["status"] == "sold"


def test_bad_rows_are_reported_with_their_row_and_skipped(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    rows = [
        listing(1),
        listing(2, id=""),
        listing(3, price="call us"),
        listing(4, status="teardown"),
        listing(5, street_address=None),
        listing(6),
        listing(6, price=1),
    ]
    service = PropertySyncService(client, ListSource(rows), state=sqlite_state)
    result = service.sync_properties()

    assert (result["processed"], result["created"], result["errors"]) == (7, 2, 5)
    errors = {d["row"]: d["error"] for d in result["details"] if d["action"] == "error"}
    assert "missing id" in errors["record 2"]
    assert "unparseable price 'call us'" in errors["record 3"]
    assert "unknown status 'teardown'" in errors["record 4"]  # never silently 'active'
    assert "street_address" in errors["record 5"]
    assert "appears twice" in errors["record 7"]
    # A run with errors leaves the cursor where it was, so the rows are read again.
    assert sqlite_state.cursor("properties", "source") is None
    assert sqlite_state.history()[0].status == "partial"


def test_records_already_in_open_to_close_are_adopted_not_duplicated(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    for n in range(5):
        client.properties.create_property({"address": "old", "external_id": f"ext_{n}"})
    client.properties.create_property({"address": "someone else's"})
    before = sb.stats()["requests"]["POST /properties"]

    service = PropertySyncService(
        client, ListSource([listing(n) for n in range(8)]), state=sqlite_state
    )
    result = service.sync_properties()

    assert (result["created"], result["updated"]) == (3, 5)
    assert sb.stats()["requests"]["POST /properties"] == before + 3
    assert _by_external_id(client)["ext_0"] == 1
    assert client.properties.list_properties({"external_id": "ext_0"})[0]["address"] == "0 Main St"


def test_a_record_deleted_in_open_to_close_is_created_again(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    rows = [listing(n) for n in range(3)]
    service = PropertySyncService(client, ListSource(rows), state=sqlite_state)
    first = service.sync_properties()
    gone = next(d["otc_id"] for d in first["details"] if d["external_id"] == "ext_1")
    client.properties.delete_property(gone)
    rows[1]["price"] = 7

    result = service.sync_properties()
    assert (result["created"], result["unchanged"], result["errors"]) == (1, 2, 0)
    assert _by_external_id(client) == Counter({"ext_0": 1, "ext_1": 1, "ext_2": 1})


def test_dry_run_sends_no_writes_and_records_nothing(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    source = ListSource([listing(n) for n in range(4)])
    result = PropertySyncService(client, source, state=sqlite_state, dry_run=True).sync_properties()
    assert (result["created"], result["dry_run"]) == (4, True)
    assert all(d.get("dry_run") for d in result["details"])
    assert _writes(sb) == 0
    assert sqlite_state.count_links("properties") == 0
    assert sqlite_state.history() == []


def test_the_cursor_is_aware_utc_and_advances(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    source = ListSource([listing(1)])
    service = PropertySyncService(client, source, state=sqlite_state)
    before = datetime.now(UTC)
    service.sync_properties()
    service.sync_properties()
    first, second = source.calls
    assert first == datetime(1970, 1, 1, tzinfo=UTC)  # everything, on the first run
    assert second.tzinfo is not None and second >= before - timedelta(seconds=1)

    explicit = datetime(2026, 1, 2, 3, 4, 5)
    service.sync_properties(since=explicit)
    assert source.calls[-1] == explicit


def test_validation_errors_are_per_record(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    from open_to_close.sync import FieldMapping, FieldRule

    mapping = FieldMapping(
        fields=(FieldRule("address", "street_address"), FieldRule("team_id", "team", "str"))
    )
    rows = [listing(1, team="not-a-number"), listing(2)]
    service = PropertySyncService(client, ListSource(rows), mapping=mapping, state=sqlite_state)
    result = service.sync_properties()
    assert (result["created"], result["errors"]) == (1, 1)
    error = next(d for d in result["details"] if d["action"] == "error")
    assert error["external_id"] == "ext_1" and "team_id" in error["error"]
    assert sqlite_state.intents("properties") == {}  # refused: certainly not created


def test_the_guides_usage_runs_unchanged(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    class ExternalDataSource:
        def get_modified_properties(self, since: datetime) -> list[dict[str, object]]:
            return [listing(123, id="ext_123", street_address="123 Main St", price=850000)]

    sync_service = PropertySyncService(client, ExternalDataSource())
    results = sync_service.sync_properties()
    summary = (
        f"{results['created']} created, {results['updated']} updated, {results['errors']} errors"
    )
    assert summary == "1 created, 0 updated, 0 errors"
    assert (tmp_path / "otc-sync.db").exists()  # the default state: a file in the cwd
    sync_service.state.close()
