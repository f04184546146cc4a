"""The conflicts page: a manual two-way conflict side by side, decided field by field
(or one side for all); the job's next run changes both systems accordingly."""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from open_to_close import OpenToCloseAPI
from open_to_close.service.scheduler import JobRunner
from open_to_close.sync import SyncState

from ..sync._data import ID_FIELD, listing
from .conftest import Rig


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _conflicted(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI, tmp: Path
) -> tuple[Rig, Path, str]:
    """A two-way CSV job with one manual conflict on ``city`` and ``listing_price``."""
    crm = tmp / "crm.csv"
    _write(crm, [listing(1)])
    mapping = tmp / "mapping.json"
    mapping.write_text(json.dumps({"external_id_field": ID_FIELD}))
    job = {
        "name": "crm",
        "direction": "two-way",
        "source": str(crm),
        "mapping": str(mapping),
        "strategy": "manual",
        "every": "1h",
    }
    rig = make_rig(sync={"jobs": [job]})
    rig.login()
    state = SyncState(rig.components.config.state.url)
    runner = JobRunner(rig.components.config.sync.jobs[0], client, state)
    runner.run()  # the first sync: created in Open To Close, linked
    [record] = client.properties.list_properties()
    pid = str(record["id"])
    _write(crm, [listing(1, city="Oakland", price=600_000)])
    client.properties.update_property(pid, {"city": "Berkeley", "listing_price": 650_000})
    report = runner.run()
    state.close()
    assert report["conflicts"] and report["conflicts"][0]["resolution"] == "manual_required"
    return rig, crm, pid


def _open(rig: Rig) -> tuple[str, str]:
    """The conflicts page and the id of its one open conflict."""
    page = rig.get("/console/conflicts").text
    [conflict_id] = re.findall(r'data-testid="conflict" data-conflict-id="(\d+)"', page)
    return page, conflict_id


def _cells(html: str, field: str) -> dict[str, str]:
    row = html.split(f'data-field="{field}"')[1].split("</tr>")[0]
    return {k: v.strip() for k, v in re.findall(r'class="(base|otc|external)">(.*?)</td>', row)}


def _run_now(rig: Rig) -> None:
    before = len(re.findall(r'data-testid="run" ', rig.get("/console/sync").text))
    assert rig.post("/console/sync/crm/run", page="/console/sync").status_code == 303
    deadline = time.monotonic() + 60
    while True:
        page = rig.get("/console/sync").text
        runs = re.findall(r'data-testid="run" data-run-id="(\d+)"', page)
        if len(runs) > before and "otc-console-sync" not in page and ">running<" not in page:
            return
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_resolve_field_by_field_changes_both_systems(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI, tmp_path: Path
) -> None:
    rig, crm, pid = _conflicted(make_rig, client, tmp_path)
    page, conflict_id = _open(rig)
    assert _cells(page, "city") == {
        "base": "San Francisco",
        "otc": "Berkeley",
        "external": "Oakland",
    }
    price = _cells(page, "listing_price")
    assert price["otc"] == "650000" and price["external"] == "600000"
    assert 'name="field:city"' in page and 'data-testid="merge"' in page
    answer = rig.post(
        f"/console/conflicts/{conflict_id}/resolve",
        {"choice": "merge", "field:city": "otc", "field:listing_price": "external"},
        page="/console/conflicts",
    )
    assert answer.status_code == 303
    after = rig.get("/console/conflicts").text
    assert 'data-kind="ok"' in after and "city from otc" in after
    assert "listing_price from external" in after
    assert 'data-testid="conflict"' not in after  # decided: no longer open
    _run_now(rig)
    record = client.properties.retrieve_property(pid)
    assert record["city"] == "Berkeley" and record["listing_price"] == 600_000
    [row] = _read(crm)
    assert row["city"] == "Berkeley" and float(row["price"]) == 600_000


def test_use_external_for_everything(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI, tmp_path: Path
) -> None:
    rig, crm, pid = _conflicted(make_rig, client, tmp_path)
    _page, conflict_id = _open(rig)
    answer = rig.post(
        f"/console/conflicts/{conflict_id}/resolve",
        {"choice": "external"},
        page="/console/conflicts",
    )
    assert answer.status_code == 303
    _run_now(rig)
    record = client.properties.retrieve_property(pid)
    assert record["city"] == "Oakland" and record["listing_price"] == 600_000
    assert _read(crm)[0]["city"] == "Oakland"


def test_bad_decisions_are_messages(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI, tmp_path: Path
) -> None:
    rig, _crm, _pid = _conflicted(make_rig, client, tmp_path)
    _page, cid = _open(rig)
    for data, says in [
        ({"choice": "both"}, "choose Use Open To Close"),
        ({"choice": "merge", "field:city": "otc"}, "no choice for: listing_price"),
        (
            {"choice": "merge", "field:city": "otc", "field:listing_price": "mine"},
            "choose otc or external for: listing_price",
        ),
        (
            {
                "choice": "merge",
                "field:city": "otc",
                "field:listing_price": "otc",
                "field:zip": "otc",
            },
            "not in this conflict: zip",
        ),
    ]:
        answer = rig.post(f"/console/conflicts/{cid}/resolve", data, page="/console/conflicts")
        assert answer.status_code == 400 and says in answer.text, data
        assert 'data-testid="conflict"' in answer.text  # still open, shown again
    answer = rig.post(
        "/console/conflicts/9999/resolve", {"choice": "otc"}, page="/console/conflicts"
    )
    assert answer.status_code == 400 and "no conflict 9999" in answer.text
