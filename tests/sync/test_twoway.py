"""Two-way sync against the sandbox and an external system with its own ids and clock."""

from __future__ import annotations

from typing import Any

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.exceptions import ConfigurationError
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import SyncState, TwoWayPropertySync

from ._data import ID_FIELD, MemoryExternal, field_value, listing


def _otc(client: OpenToCloseAPI) -> dict[str, dict[str, Any]]:
    """Open To Close records by the external id in ID_FIELD (``otc-<id>`` when blank)."""
    records = client.properties.iter_properties(page_size=50)
    return {str(field_value(p, ID_FIELD) or f"otc-{p['id']}"): p for p in records}


def _synced(
    client: OpenToCloseAPI, state: SyncState, **options: Any
) -> tuple[MemoryExternal, TwoWayPropertySync]:
    """An external system with two listings, and Open To Close with one property,
    synced once."""
    ext = MemoryExternal()
    for n in (1, 2):
        row = listing(n)
        ext.put(row.pop("id"), **row)
    client.properties.create_property(
        {"address": "9 Otc Way", "city": "Austin", "listing_price": 9}
    )
    sync = TwoWayPropertySync(client, ext, state=state, external_id_field=ID_FIELD, **options)
    first = sync.sync_bidirectional()
    assert first["errors"] == 0 and first["failures"] == [], first["failures"]
    return ext, sync


def test_first_run_creates_each_side_and_second_run_does_nothing(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    ext, sync = _synced(client, state)
    otc = _otc(client)
    assert set(otc) == {"ext_1", "ext_2", *[k for k in otc if k.startswith("crm-")]}
    assert len(otc) == 3 and len(ext.rows) == 3
    made_here = next(v for k, v in ext.rows.items() if k.startswith("crm-"))
    assert (made_here["street_address"], made_here["price"]) == ("9 Otc Way", 9)
    # The ids differ between the systems; the link table matches them.
    assert all(str(p["id"]) != key for key, p in otc.items())

    # The Open To Close record made there got the external system's id in ID_FIELD.
    assert field_value(_otc(client)[next(iter(ext.rows.keys() - {"ext_1", "ext_2"}))], ID_FIELD)
    writes = sb.stats()["total"]
    again = sync.sync_bidirectional()
    assert again["otc_to_external"] == {"created": 0, "updated": 0, "deleted": 0, "conflicts": 0}
    assert again["external_to_otc"] == {"created": 0, "updated": 0, "deleted": 0, "conflicts": 0}
    assert again["conflicts"] == [] and again["errors"] == 0 and again["failures"] == []
    # Reads only: one scan, ⌈3/50⌉ pages plus the empty one that shows a short page ends it.
    assert sb.stats()["total"] - writes == again["scan_requests"] == 2


def test_edits_of_different_fields_merge(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    ext, sync = _synced(client, state)
    otc_id = _otc(client)["ext_1"]["id"]
    client.properties.update_property(otc_id, {"listing_price": 123})
    ext.put("ext_1", city="Oakland")

    patches = sb.stats()["requests"].get("PATCH /properties/{id}", 0)
    result = sync.sync_bidirectional()
    assert result["conflicts"] == []
    assert result["external_to_otc"]["updated"] == 1 and result["otc_to_external"]["updated"] == 1
    assert sb.stats()["requests"]["PATCH /properties/{id}"] == patches + 1
    record = client.properties.retrieve_property(otc_id)
    assert (record["listing_price"], record["city"]) == (123, "Oakland")
    assert (ext.rows["ext_1"]["price"], ext.rows["ext_1"]["city"]) == (123, "Oakland")


@pytest.mark.parametrize(
    ("strategy", "price", "city", "resolution"),
    [
        ("otc_wins", 111, "San Francisco", "otc_wins"),  # the whole Open To Close record wins
        ("external_wins", 222, "Oakland", "external_wins"),
        ("latest_wins", 222, "Oakland", "external_wins"),  # the external edit came later
        ("merge", 111, "Oakland", "merged"),  # overlap from the fallback, the rest merged
        ("manual", 111, "San Francisco", "manual_required"),  # nothing written until decided
    ],
)
def test_the_same_field_edited_on_both_sides(
    sb: SandboxServer,
    client: OpenToCloseAPI,
    sqlite_state: SyncState,
    strategy: str,
    price: int,
    city: str,
    resolution: str,
) -> None:
    ext, sync = _synced(
        client, sqlite_state, conflict_resolution=strategy, merge_fallback="otc_wins"
    )
    otc_id = _otc(client)["ext_1"]["id"]
    client.properties.update_property(otc_id, {"listing_price": 111})
    ext.put("ext_1", price=222, city="Oakland")  # the external clock runs ahead (2030)

    result = sync.sync_bidirectional()
    (entry,) = result["conflicts"]
    entry.pop("conflict_id", None)
    assert entry == {
        "otc_id": str(otc_id),
        "external_id": "ext_1",
        "fields": ["listing_price"],
        "resolution": resolution,
    }
    record = client.properties.retrieve_property(otc_id)
    assert (record["listing_price"], record["city"]) == (price, city)
    if strategy == "manual":
        return
    assert (ext.rows["ext_1"]["price"], ext.rows["ext_1"]["city"]) == (price, city)
    quiet = sync.sync_bidirectional()
    assert quiet["conflicts"] == [] and quiet["otc_to_external"]["updated"] == 0


def test_manual_conflicts_survive_a_restart_and_are_resolved(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    ext, sync = _synced(client, state, conflict_resolution="manual")
    otc_id = _otc(client)["ext_1"]["id"]
    client.properties.update_property(otc_id, {"listing_price": 111})
    ext.put("ext_1", price=222)
    first = sync.sync_bidirectional()
    (entry,) = first["conflicts"]
    assert entry["resolution"] == "manual_required" and entry["fields"] == ["listing_price"]

    # A new process: the conflict is in the state, and the record is left alone.
    restarted = TwoWayPropertySync(client, ext, "manual", state=state, external_id_field=ID_FIELD)
    ext.put("ext_1", city="Oakland")
    later = restarted.sync_bidirectional()
    assert later["conflicts"] == [] and later["otc_to_external"]["updated"] == 0
    assert client.properties.retrieve_property(otc_id)["city"] == "San Francisco"
    (stored,) = restarted.conflicts()
    assert stored.id == entry["conflict_id"]
    assert (stored.otc_values or {})["listing_price"] == 111
    assert (stored.external_values or {})["city"] == "Oakland"  # kept current while held

    applied = restarted.resolve_conflict(stored.id, "otc")
    assert applied["conflicts"][0]["resolution"] == "otc_wins"
    record = client.properties.retrieve_property(otc_id)
    assert (record["listing_price"], record["city"]) == (111, "Oakland")
    assert (ext.rows["ext_1"]["price"], ext.rows["ext_1"]["city"]) == (111, "Oakland")
    assert restarted.conflicts() == []


def test_deletes_on_either_side_are_carried_over(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    ext, sync = _synced(client, sqlite_state)
    otc = _otc(client)
    ext.remove("ext_1")
    client.properties.delete_property(otc["ext_2"]["id"])

    result = sync.sync_bidirectional()
    assert result["external_to_otc"]["deleted"] == 1 and result["otc_to_external"]["deleted"] == 1
    assert set(_otc(client)) == set(ext.rows) and len(ext.rows) == 1
    assert sqlite_state.count_links("two-way") == 1


def test_a_delete_against_an_edit_keeps_the_edit_under_latest_wins(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState
) -> None:
    ext, sync = _synced(client, sqlite_state)
    otc_id = _otc(client)["ext_1"]["id"]
    ext.remove("ext_1")
    client.properties.update_property(otc_id, {"listing_price": 5})

    result = sync.sync_bidirectional()
    assert result["conflicts"][0]["fields"] == ["(deleted)", "listing_price"]
    assert result["otc_to_external"]["created"] == 1
    assert client.properties.retrieve_property(otc_id)["listing_price"] == 5
    assert any(row["price"] == 5 for row in ext.rows.values())


def test_unknown_strategy_is_refused(client: OpenToCloseAPI, sqlite_state: SyncState) -> None:
    with pytest.raises(ConfigurationError, match="newest_wins"):
        TwoWayPropertySync(client, MemoryExternal(), "newest_wins", state=sqlite_state)
