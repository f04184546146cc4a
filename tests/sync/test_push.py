"""One-way push against the sandbox: upsert by link, skip by hash, resume after failures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import PropertySyncService, SyncState

from ._data import ID_FIELD, ListSource, field_value, listing


def _by_external_id(client: OpenToCloseAPI) -> Counter[str]:
    """How many Open To Close records carry each source id (in ID_FIELD)."""
    records = client.properties.iter_properties(page_size=50)
    return Counter(str(field_value(p, ID_FIELD)) for p in records)


def _writes(sb: SandboxServer) -> int:
    requests = sb.stats()["requests"]
    return sum(n for route, n in requests.items() if not route.startswith("GET"))


@pytest.mark.parametrize("id_field", [None, ID_FIELD])
def test_second_run_writes_nothing(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState, id_field: str | None
) -> None:
    source = ListSource([listing(n) for n in range(120)])
    service = PropertySyncService(client, source, state=state, external_id_field=id_field)

    first = service.sync_properties()
    assert (first["processed"], first["created"], first["errors"], first["failures"]) == (
        120,
        120,
        0,
        [],
    )
    requests = sb.stats()["requests"]
    assert requests["POST /properties"] == 120 and _writes(sb) == 120
    # With an id field, a fresh state first reads the collection once (empty: one page).
    assert requests.get("GET /properties", 0) == first["scan_requests"] == (1 if id_field else 0)
    assert {d["action"] for d in first["details"]} == {"created"}

    before = sb.stats()["total"]
    second = service.sync_properties()
    assert (second["processed"], second["unchanged"]) == (120, 120)
    assert second["created"] == second["updated"] == second["errors"] == 0
    assert sb.stats()["total"] == before  # not a single API call
    addresses = Counter(p["address"] for p in client.properties.iter_properties(page_size=50))
    assert addresses == Counter({f"{n} Main St": 1 for n in range(120)})
    if id_field:
        assert _by_external_id(client) == Counter({f"ext_{n}": 1 for n in range(120)})


def test_changed_rows_are_updated_and_the_counts_add_up(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    rows = [listing(n) for n in range(20)]
    source = ListSource(rows)
    service = PropertySyncService(client, source, state=sqlite_state, external_id_field=ID_FIELD)
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
    found = client.properties.list_properties({ID_FIELD: "ext_7"})
    assert found[0]["status"] == "sold"
    assert sb.stats()["requests"]["PATCH /properties/{id}"] == 2


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
        listing(8, type="castle"),  # not an option of the account's property_type
    ]
    service = PropertySyncService(client, ListSource(rows), state=sqlite_state)
    result = service.sync_properties()

    assert (result["processed"], result["created"], result["errors"]) == (8, 2, 6)
    errors = {d["row"]: d["error"] for d in result["details"] if d["action"] == "error"}
    assert errors == {f["row"]: f["error"] for f in result["failures"]}
    assert "missing id" in errors["record 2"]
    assert "unparseable price 'call us'" in errors["record 3"]
    assert "unknown status 'teardown'" in errors["record 4"]  # never silently 'active'
    assert "street_address" in errors["record 5"]
    assert "appears twice" in errors["record 7"]
    assert "property_type" in errors["record 8"] and "castle" in errors["record 8"]
    assert _writes(sb) == 2  # refused values are caught before any request
    # A run with errors leaves the cursor where it was, so the rows are read again.
    assert sqlite_state.cursor("properties", "source") is None
    assert sqlite_state.history()[0].status == "partial"


def test_records_already_in_open_to_close_are_adopted_not_duplicated(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    for n in range(5):
        client.properties.create_property({"address": "old", ID_FIELD: f"ext_{n}"})
    client.properties.create_property({"address": "someone else's"})
    before = sb.stats()["requests"]["POST /properties"]

    service = PropertySyncService(
        client,
        ListSource([listing(n) for n in range(8)]),
        state=sqlite_state,
        external_id_field=ID_FIELD,
    )
    result = service.sync_properties()

    assert (result["created"], result["updated"]) == (3, 5)
    assert sb.stats()["requests"]["POST /properties"] == before + 3
    assert _by_external_id(client)["ext_0"] == 1
    assert client.properties.list_properties({ID_FIELD: "ext_0"})[0]["address"] == "0 Main St"


def test_fresh_state_relinks_existing_records_without_writing(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    rows = [listing(n) for n in range(137)]
    first = SyncState(f"sqlite:///{tmp_path / 'first.db'}")
    PropertySyncService(
        client, ListSource(rows), state=first, external_id_field=ID_FIELD
    ).sync_properties()
    first.close()
    writes = _writes(sb)

    lost = SyncState(f"sqlite:///{tmp_path / 'lost.db'}")  # the state is gone
    result = PropertySyncService(
        client, ListSource(rows), state=lost, external_id_field=ID_FIELD
    ).sync_properties()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 137)
    assert _writes(sb) == writes
    assert result["scan_requests"] == 3  # ⌈137/50⌉ pages, the page size known by now
    assert lost.count_links("properties") == 137
    lost.close()


def test_a_record_deleted_in_open_to_close_is_created_again(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    rows = [listing(n) for n in range(3)]
    service = PropertySyncService(
        client, ListSource(rows), state=sqlite_state, external_id_field=ID_FIELD
    )
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


def test_an_unknown_id_field_is_refused_before_any_write(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    from open_to_close.exceptions import ConfigurationError

    service = PropertySyncService(
        client, ListSource([listing(1)]), state=sqlite_state, external_id_field="crm_id"
    )
    with pytest.raises(ConfigurationError, match="crm_id"):
        service.sync_properties()
    assert _writes(sb) == 0
    assert sqlite_state.history()[0].status == "failed"


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
    assert (tmp_path / ".otc" / "state.db").exists()  # the default state, in the cwd
    sync_service.state.close()
