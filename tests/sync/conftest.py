"""Sync fixtures: a state store on SQLite and on the machine's PostgreSQL, sample rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from open_to_close.sync import SyncState

from ._data import PG_URL


def make_state(kind: str, tmp_path: Path) -> SyncState:
    if kind == "sqlite":
        return SyncState(f"sqlite:///{tmp_path / 'state.db'}")
    return SyncState(PG_URL, table_prefix=f"t{uuid.uuid4().hex[:10]}_")


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SyncState]:
    """A fresh state store, on each database (PostgreSQL tables get a unique prefix)."""
    store = make_state(request.param, tmp_path)
    yield store
    store.drop()
    store.close()


@pytest.fixture
def sqlite_state(tmp_path: Path) -> Iterator[SyncState]:
    store = make_state("sqlite", tmp_path)
    yield store
    store.close()
