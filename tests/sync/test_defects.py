"""Regression tests of issue 11's sync defects (each failed before its fix)."""

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
from open_to_close.sync import CsvSource, PropertySyncService, SyncState
from open_to_close.sync.sources import SourceFormatError

from ._data import ListSource, listing
from .test_cli import otc


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


def _csv(path: Path, rows: list[dict[str, object]], delimiter: str = ",", **kw: str) -> None:
    with path.open("w", newline="", **kw) as handle:  # type: ignore[call-overload]
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.defect(21)
def test_a_wrong_delimiter_or_header_is_one_error_naming_the_columns(
    sb: SandboxServer, tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path / 's.db'}"
    source = tmp_path / "listings.csv"
    _csv(source, [listing(n) for n in range(3000)], delimiter=";")
    code, out = otc(sb, "sync", "push", str(source), "--state", state)
    assert code == 2, out
    assert out.count("error") == 1 and "Failed records" not in out
    assert "expected the columns id, street_address, city" in out
    assert "';'-separated" in out
    assert sb.stats()["requests"].get("POST /properties", 0) == 0

    code, out = otc(sb, "sync", "push", str(source), "--state", state, "--delimiter", ";")
    assert code == 0, out
    assert sb.stats()["requests"]["POST /properties"] == 3000

    renamed = tmp_path / "renamed.csv"
    _csv(renamed, [{"ID": n, "Address": f"{n} Elm St"} for n in range(500)])
    code, out = otc(sb, "sync", "push", str(renamed), "--state", state)
    assert code == 2 and out.count("error") == 1, out
    assert "no 'id', 'street_address' column" in out and "found 'ID', 'Address'" in out

    # The library says it once too, and the run is recorded as failed with the reason.
    store = SyncState(state)
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        with pytest.raises(SourceFormatError, match="expected the columns id"):
            PropertySyncService(client, CsvSource(renamed), state=store, job="j").sync_properties()
    assert store.history("j")[0].status == "failed"
    assert "expected the columns id" in (store.history("j")[0].error or "")
    store.close()


@pytest.mark.defect(21)
def test_a_file_in_another_encoding_names_the_line_and_encoding_reads_it(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path / 's.db'}"
    rows = [listing(n) for n in range(300)]
    rows[200]["city"] = "Montréal"  # line 202 of the file, past the first read buffer
    source = tmp_path / "latin.csv"
    _csv(source, rows, encoding="cp1252")
    code, out = otc(sb, "sync", "push", str(source), "--state", state)
    assert code == 2, out
    assert "latin.csv" in out and "line 202 is not valid utf-8" in out and "--encoding" in out
    assert sb.stats()["requests"].get("POST /properties", 0) == 0

    code, out = otc(sb, "sync", "push", str(source), "--state", state, "--encoding", "cp1252")
    assert code == 0, out
    cities = {p["address"]: p["city"] for p in client.properties.iter_properties(page_size=50)}
    assert cities["200 Main St"] == "Montréal" and len(cities) == 300

    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(
        b'{"id": "a", "street_address": "1 Main St"}\n{"id": "b", "street_address": "\xe9"}\n'
    )
    code, out = otc(sb, "sync", "push", str(feed), "--state", state)
    assert code == 2 and "feed.jsonl: line 2 is not valid utf-8" in out, out
    code, out = otc(sb, "sync", "push", str(feed), "--state", state, "--encoding", "latin-1")
    assert code == 0, out


@pytest.mark.defect(23)
def test_ctrl_c_during_push_says_so_and_records_interrupted_with_true_counts(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    rows = 600
    source = tmp_path / "listings.csv"
    _csv(source, [listing(n) for n in range(rows)])
    state = f"sqlite:///{tmp_path / 's.db'}"
    env = {
        **os.environ,
        "OPEN_TO_CLOSE_API_KEY": sb.api_key,
        "OPEN_TO_CLOSE_BASE_URL": sb.base_url,
        "COLUMNS": "200",
    }
    sb.set_faults(latency_ms=20)
    command = [sys.executable, "-m", "open_to_close.cli", "sync", "push", str(source)]
    child = subprocess.Popen(
        [*command, "--state", state, "--workers", "8"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while sb.stats()["requests"].get("POST /properties", 0) < rows // 3:
            assert child.poll() is None, "the push finished before it could be interrupted"
            assert time.monotonic() < deadline, "the push made no progress"
            time.sleep(0.005)
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait(10)
    sb.set_faults()
    assert child.returncode == 130, out
    assert "interrupted; run again to resume" in out
    assert "Traceback" not in out

    made = sum(1 for _ in client.properties.iter_properties(page_size=50))
    assert 0 < made < rows
    store = SyncState(state)
    run = store.history()[0]
    assert run.status == "interrupted"
    assert run.counts["created"] == made, run.counts  # every record made is counted
    assert run.counts["processed"] == made and run.counts["errors"] == 0
    assert store.intents("push:listings.csv") == {}  # nothing left to look up
    store.close()

    code, out = otc(sb, "sync", "push", str(source), "--state", state)
    assert code == 0, out
    assert sum(1 for _ in client.properties.iter_properties(page_size=50)) == rows
    assert re.search(rf"created\s+│\s+{rows - made}\b", out), out
    assert re.search(rf"unchanged\s+│\s+{made}\b", out), out
    assert [r.status for r in SyncState(state).history()] == ["ok", "interrupted"]


@pytest.mark.defect(22)
def test_a_typo_in_a_sqlite_url_that_is_only_read_creates_nothing(
    sb: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    state = "sqlite:///state.db"
    code, out = otc(sb, "sync", "push", "sqlite:///nothere.db", "--table", "listings")
    assert code == 2 and "no such SQLite file 'nothere.db'" in out, out
    assert not (tmp_path / "nothere.db").exists()
    code, out = otc(sb, "sync", "two-way", "sqlite:///nothere.db", "--table", "t", "--state", state)
    assert code == 2 and "no such SQLite file 'nothere.db'" in out, out
    assert not (tmp_path / "nothere.db").exists()

    for command in (["history"], ["conflicts", "list"], ["conflicts", "resolve", "1"]):
        extra = ["--use", "otc"] if command[-1] == "1" else []
        code, out = otc(sb, "sync", *command, *extra, "--state", "sqlite:///sate.db")
        assert code == 2 and "the sync state: no such SQLite file 'sate.db'" in out, out
        assert not (tmp_path / "sate.db").exists()
        code, out = otc(sb, "sync", *command, *extra)  # the default: .otc/state.db
        assert code == 2 and "no such SQLite file '.otc/state.db'" in out, out
    assert sorted(p.name for p in tmp_path.iterdir()) == []

    # A state that exists is read; one written by a push is created as before.
    source = tmp_path / "a.csv"
    _csv(source, [listing(1)])
    code, out = otc(sb, "sync", "push", str(source), "--state", state)
    assert code == 0 and (tmp_path / "state.db").is_file(), out
    code, out = otc(sb, "sync", "history", "--state", state)
    assert code == 0 and "push:a.csv" in out, out
