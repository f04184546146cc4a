"""A push survives faults, lost answers, and being killed: every record arrives once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import PropertySyncService, SyncLockedError, SyncState

from ._data import ID_FIELD, ListSource, listing
from .conftest import make_state


def _on_server(sb: SandboxServer) -> Counter[str]:
    """How many records hold each listing (by address: unique per listing), read from the
    sandbox's store: paging 2,000 full records over HTTP would take most of the test."""
    found: Counter[str] = Counter()
    for raw in sb.core.store.scan("properties", 0, since=""):
        values = {v["key"]: v["value"] for v in json.loads(raw)["field_values"]}
        found[str(values["property_address"])] += 1
    return found


def _once(rows: int) -> Counter[str]:
    return Counter({f"{n} Main St": 1 for n in range(rows)})


def _writes(sb: SandboxServer) -> int:
    return sum(n for route, n in sb.stats()["requests"].items() if not route.startswith("GET"))


# Both state stores and both ways of finding a record, in two runs of 2,000 records.
VARIANTS = [("sqlite", None), ("postgresql", ID_FIELD)]


@pytest.fixture
def state_of(tmp_path: Path) -> Iterator[Callable[[str], SyncState]]:
    made: list[SyncState] = []

    def make(kind: str) -> SyncState:
        made.append(make_state(kind, tmp_path))
        return made[-1]

    yield make
    for store in made:
        store.drop()
        store.close()


@pytest.mark.parametrize(("kind", "id_field"), VARIANTS)
def test_lost_answers_during_a_2000_record_push(
    sb: SandboxServer, state_of: Callable[[str], SyncState], kind: str, id_field: str | None
) -> None:
    state = state_of(kind)
    # After-commit faults: the record is made, the answer is a 5xx. A create is then an
    # AmbiguousWriteError; the push looks it up instead of creating it again.
    sb.set_faults(rate=0.15, statuses=(500, 502, 503), after_commit=True)
    source = ListSource([listing(n) for n in range(2000)])
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retries=12, retry_backoff=0.001) as client:
        service = PropertySyncService(
            client, source, state=state, details="errors", external_id_field=id_field
        )
        result = service.sync_properties()
        assert (result["created"], result["errors"]) == (2000, 0), result["failures"][:3]
        assert sb.stats()["faults"] > 200
        assert result["scan_requests"] > 0  # the lookups
        sb.set_faults()
        assert _on_server(sb) == _once(2000)
        writes = _writes(sb)
        again = service.sync_properties()
        assert (again["unchanged"], again["errors"]) == (2000, 0)
        assert _writes(sb) == writes  # a rerun writes nothing


def test_faults_before_the_write(sb: SandboxServer, sqlite_state: SyncState) -> None:
    sb.set_faults(rate=0.3, statuses=(500, 502, 503))  # refused before the write: retried
    source = ListSource([listing(n) for n in range(300)])
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retries=12, retry_backoff=0.001) as client:
        service = PropertySyncService(client, source, state=sqlite_state)
        assert service.sync_properties()["created"] == 300
        source.rows[5]["price"] = 1
        again = service.sync_properties()
        assert (again["updated"], again["unchanged"], again["errors"]) == (1, 299, 0)
        sb.set_faults()
        assert _on_server(sb) == _once(300)


CHILD = textwrap.dedent(
    """
    import os, sys
    # Appended, not first: tests/ holds packages (queue, webhooks) that must not shadow
    # the standard library's modules of the same name.
    sys.path.append(os.environ["TESTS_DIR"])
    from open_to_close import OpenToCloseAPI
    from open_to_close.sync import PropertySyncService, SyncState
    from sync._data import ListSource, listing

    state = SyncState(os.environ["STATE_URL"], table_prefix=os.environ["PREFIX"])
    client = OpenToCloseAPI(os.environ["KEY"], os.environ["URL"])
    rows = [listing(n) for n in range(int(os.environ["ROWS"]))]
    PropertySyncService(
        client, ListSource(rows), state=state, max_workers=8,
        external_id_field=os.environ.get("ID_FIELD") or None,
    ).sync_properties()
    """
)


def _killed_halfway(sb: SandboxServer, state: SyncState, rows: int, id_field: str | None) -> None:
    sb.set_faults(latency_ms=2)
    url = state.engine.url.render_as_string(hide_password=False)
    prefix = state.tables.links.name.removesuffix("links")
    env = {
        **os.environ,
        "TESTS_DIR": os.path.dirname(os.path.dirname(__file__)),
        "STATE_URL": url,
        "PREFIX": prefix,
        "KEY": sb.api_key,
        "URL": sb.base_url,
        "ROWS": str(rows),
        "ID_FIELD": id_field or "",
    }
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env)
    try:
        deadline = time.monotonic() + 60
        while sb.stats()["requests"].get("POST /properties", 0) < rows // 3:
            assert child.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "the sync made no progress"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    sb.set_faults()


@pytest.mark.parametrize(("kind", "id_field"), VARIANTS)
def test_killed_halfway_then_run_again(
    sb: SandboxServer, state_of: Callable[[str], SyncState], kind: str, id_field: str | None
) -> None:
    state = state_of(kind)
    rows = 2000
    _killed_halfway(sb, state, rows, id_field)
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001) as client:
        already = sum(_on_server(sb).values())
        assert 0 < already < rows
        assert state.intents("properties")  # creates in flight when it died
        # The killed run's lock belongs to a dead process: the next run takes it over.
        service = PropertySyncService(
            client,
            ListSource([listing(n) for n in range(rows)]),
            state=state,
            external_id_field=id_field,
        )
        result = service.sync_properties()
        assert _on_server(sb) == _once(rows)
        writes = _writes(sb)
        assert service.sync_properties()["unchanged"] == rows
        assert _writes(sb) == writes
    assert result["errors"] == 0
    assert result["processed"] == rows
    assert result["created"] == rows - already
    assert result["unchanged"] == already
    assert result["created"] + result["updated"] + result["unchanged"] == rows
    statuses = [run.status for run in state.history()]
    assert statuses == ["ok", "ok", "interrupted"]


def test_a_live_run_holds_the_lock(state: SyncState) -> None:
    with state.lock("job"):
        with pytest.raises(SyncLockedError, match="already running"):
            state.lock("job").acquire()
        other = SyncState(
            state.engine.url.render_as_string(hide_password=False),
            table_prefix=state.tables.links.name.removesuffix("links"),
        )
        with pytest.raises(SyncLockedError):  # another store on the same database
            other.lock("job").acquire()
        other.close()
    with state.lock("job"):  # released on exit
        pass


def test_an_expired_lock_is_taken_over(state: SyncState) -> None:
    with state.engine.begin() as conn:
        conn.execute(
            insert(state.tables.locks).values(
                job="job",
                owner="elsewhere:1:x",
                host="elsewhere",
                pid=1,
                expires_at=time.time() - 1,
            )
        )
    with state.lock("job") as lock:
        assert not lock.lost
