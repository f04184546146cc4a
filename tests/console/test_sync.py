"""The sync page: jobs with "run now", runs with their counts and requests, a run's failed
rows with the reason; paging and bad input."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from pathlib import Path

from open_to_close.sync import SyncState

from ..sync._data import listing
from .conftest import Rig, check_paging


def _csv(path: Path) -> Path:
    rows = [listing(n) for n in range(5)]
    rows[1]["price"] = "call us"
    rows[3]["status"] = "haunted"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _cell(html: str, run_id: str, name: str) -> str:
    row = html.split(f'data-run-id="{run_id}"')[1].split("</tr>")[0]
    found = re.search(rf'class="{name}[^"]*">(.*?)</td>', row, re.S)
    assert found, name
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_run_now_and_the_failed_rows_with_their_reason(
    make_rig: Callable[..., Rig], tmp_path: Path
) -> None:
    source = _csv(tmp_path / "listings.csv")
    job = {"name": "listings", "direction": "push", "source": str(source), "every": "1h"}
    rig = make_rig(sync={"jobs": [job]})
    rig.login()
    page = rig.get("/console/sync").text
    assert 'data-testid="job" data-job="listings"' in page and "never" in page
    answer = rig.post("/console/sync/listings/run", page="/console/sync")
    assert answer.status_code == 303
    deadline = time.monotonic() + 60
    while True:
        page = rig.get("/console/sync").text
        runs = re.findall(r'data-testid="run" data-run-id="(\d+)"', page)
        if runs and _cell(page, runs[0], "outcome") != "running":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    [run_id] = runs
    assert _cell(page, run_id, "outcome") == "partial"
    assert "processed 5" in _cell(page, run_id, "counts")
    assert "created 3" in _cell(page, run_id, "counts")
    assert int(_cell(page, run_id, "requests")) >= 3
    assert _cell(page, run_id, "started") != "-" and _cell(page, run_id, "ended") != "-"
    detail = rig.get(f"/console/sync/runs/{run_id}").text
    failed = re.findall(
        r'<tr data-testid="failed-row">.*?class="source-id">(.*?)</td>.*?class="reason">(.*?)</td>',
        detail,
        re.S,
    )
    assert [f[0] for f in failed] == ["ext_1", "ext_3"]
    assert "unparseable price &#39;call us&#39;" in failed[0][1]
    assert "haunted" in failed[1][1]


def test_runs_are_paged_and_bad_input_is_a_message(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(console={"page_size": 5})
    rig.login()
    state = SyncState(rig.components.config.state.url)
    for n in range(12):
        run = state.start_run(f"job{n % 2}", "push")
        state.finish_run(run, "ok", {"processed": n, "created": n})
    state.close()
    seen = check_paging(rig, "/console/sync", r'data-testid="run" data-run-id="(\d+)"', 12)
    assert seen == [str(n) for n in range(12, 0, -1)]
    answer = rig.post("/console/sync/nope/run", page="/console/sync")
    assert answer.status_code == 400 and "no sync job named" in answer.text
    assert rig.get("/console/sync", before="soon").status_code == 400
    assert rig.get("/console/sync", job="nope").status_code == 400
    assert rig.get("/console/sync/runs/999").status_code == 404
    assert rig.get("/console/sync/runs/abc").status_code == 400
