"""Regression tests of issue 11's sync defects (each failed before its fix)."""

from __future__ import annotations

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import PropertySyncService, SyncState

from ._data import ListSource, listing


@pytest.mark.defect(8)
def test_an_overlong_source_id_is_one_row_error(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    rows = [listing(n) for n in range(5)]
    rows[2]["id"] = "x" * 600  # longer than the state's external_id column
    service = PropertySyncService(client, ListSource(rows), state=state)

    result = service.sync_properties()
    assert (result["processed"], result["created"], result["errors"]) == (5, 4, 1)
    assert "id is 600 characters" in result["failures"][0]["error"]
    again = service.sync_properties()
    assert (again["unchanged"], again["errors"]) == (4, 1)
    assert [r.status for r in state.history()] == ["partial", "partial"]
