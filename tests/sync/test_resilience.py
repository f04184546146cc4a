"""A push survives faults, lost answers, and being killed: every record arrives once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest
from sqlalchemy import insert

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import PropertySyncService, SyncLockedError, SyncState

from ._data import ListSource, listing


def _on_server(client: OpenToCloseAPI) -> Counter[str]:
    records = client.properties.iter_properties(page_size=500)
    return Counter(str(p.get("external_id")) for p in records)


def test_faults_and_lost_answers_during_a_2000_record_push(
    sb: SandboxServer, state: SyncState
) -> None:
    sb.set_faults(rate=0.2, statuses=(500, 502, 503, 429), after_commit=True)
    source = ListSource([listing(n) for n in range(2000)])
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retries=12, retry_backoff=0.001) as client:
        result = PropertySyncService(
            client, source, state=state, details="errors"
        ).sync_properties()
        assert (result["created"], result["errors"]) == (2000, 0), result["details"][:3]
        assert sb.stats()["faults"] > 300
        sb.set_faults()
        assert _on_server(client) == Counter({f"ext_{n}": 1 for n in range(2000)})


def test_faults_before_the_write(sb: SandboxServer, sqlite_state: SyncState) -> None:
    sb.set_faults(rate=0.3, statuses=(500, 503, 429))
    source = ListSource([listing(n) for n in range(300)])
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retries=12, retry_backoff=0.001) as client:
        service = PropertySyncService(client, source, state=sqlite_state)
        assert service.sync_properties()["created"] == 300
        source.rows[5]["price"] = 1
        again = service.sync_properties()
        assert (again["updated"], again["unchanged"], again["errors"]) == (1, 299, 0)
        sb.set_faults()
        assert _on_server(client) == Counter({f"ext_{n}": 1 for n in range(300)})


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
    PropertySyncService(client, ListSource(rows), state=state, max_workers=8).sync_properties()
    """
)


def test_killed_halfway_then_run_again(sb: SandboxServer, state: SyncState) -> None:
    rows = 600
    sb.set_faults(latency_ms=15)
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
    }
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env)
    try:
        deadline = time.monotonic() + 60
        while sb.stats()["requests"].get("POST /properties", 0) < rows // 3:
            assert child.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "the sync made no progress"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    sb.set_faults()

    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        already = sum(_on_server(client).values())
        assert 0 < already < rows
        assert state.intents("properties")  # creates in flight when it died
        # The killed run's lock belongs to a dead process: the next run takes it over.
        result = PropertySyncService(
            client, ListSource([listing(n) for n in range(rows)]), state=state
        ).sync_properties()
        assert _on_server(client) == Counter({f"ext_{n}": 1 for n in range(rows)})
    assert result["errors"] == 0
    assert result["processed"] == rows
    assert result["created"] == rows - already
    assert result["unchanged"] == already
    assert result["created"] + result["updated"] + result["unchanged"] == rows
    statuses = [run.status for run in state.history()]
    assert statuses == ["ok", "interrupted"]


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
