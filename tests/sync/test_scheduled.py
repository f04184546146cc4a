"""Scheduled sync jobs under ``otc serve``: their failures are logged, kept and shown."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import PropertySyncService, SyncState

from ._data import ListSource, listing

OTC = [sys.executable, "-c", "from open_to_close.cli import main; main()"]


@pytest.mark.defect(20)
def test_failures_of_a_scheduled_job_are_logged_kept_and_in_history(
    sb: SandboxServer, tmp_path: Path
) -> None:
    rows = [listing(n) for n in range(5)]
    rows[1]["price"] = "call us"
    rows[3]["status"] = "haunted"
    with (tmp_path / "listings.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "otc.toml").write_text(
        f'[api]\nbase_url = "{sb.base_url}"\n'
        '[state]\nurl = "sqlite:///service-state.db"\n'
        '[[sync.jobs]]\nname = "listings"\ndirection = "push"\nsource = "listings.csv"\n'
        'every = "1h"\n'
    )
    env = {**os.environ, "OPEN_TO_CLOSE_API_KEY": sb.api_key, "COLUMNS": "200"}
    env.pop("OTC_SYNC_STATE", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        service = subprocess.Popen(
            [*OTC, "serve", "--role", "scheduler"], cwd=tmp_path, env=env, stderr=sink
        )
    try:
        deadline = time.monotonic() + 60
        while "record(s) failed" not in log.read_text():
            assert service.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(30)
    text = log.read_text()
    assert "sync job listings: 2 record(s) failed (run 1)" in text
    assert "line 3 ext_1: unparseable price 'call us'" in text
    assert "otc sync history --run 1" in text

    state = SyncState(f"sqlite:///{tmp_path / 'service-state.db'}", must_exist=True)
    kept = state.run_failures(1)
    state.close()
    assert [(f["row"], f["external_id"]) for f in kept] == [
        ("line 3", "ext_1"),
        ("line 5", "ext_3"),
    ]

    def otc(*args: str) -> str:
        done = subprocess.run(
            [*OTC, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    out = otc("sync", "history")  # no --state: the service's
    assert re.search(r"│ 1 +│ listings +│ push +│ partial", out), out
    out = otc("sync", "history", "--run", "1")
    assert "Failed records (2)" in out and "unparseable price 'call us'" in out
    assert "haunted" in out and "line 5" in out
    assert not (tmp_path / ".otc" / "state.db").exists()  # the CLI read the service's


@pytest.mark.defect(20)
def test_every_run_keeps_its_failed_records(
    sb: SandboxServer, client: OpenToCloseAPI, state: SyncState
) -> None:
    rows = [listing(n) for n in range(4)]
    rows[2]["price"] = "abc"
    result = PropertySyncService(client, ListSource(rows), state=state).sync_properties()
    assert result["errors"] == 1
    kept = state.run_failures(result["run_id"])
    assert kept == [
        {
            "external_id": "ext_2",
            "otc_id": None,
            "row": "record 3",
            "error": "unparseable price 'abc': expected a number",
        }
    ]
    assert state.history(run_id=result["run_id"])[0].status == "partial"
