"""The console with the service's state on PostgreSQL: journal, index, runs, conflicts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from open_to_close.sync import SyncState

from ..service._helpers import pg_database
from .conftest import Rig, check_paging
from .test_events import HANDLERS, created, deliver


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


def test_every_page_on_postgresql(make_rig: Callable[..., Rig], pg_url: str) -> None:
    rig = make_rig(webhooks=HANDLERS, state={"url": pg_url}, console={"page_size": 5})
    rig.login()
    for n in range(7):
        assert deliver(rig, created(f"{n} Harbor Way", pid=500 + n)).status_code == 202
    rig.components.queue.worker().run(stop_when_idle=True)
    seqs = check_paging(rig, "/console/events", r'data-event-id="(\d+)"', 7)
    answer = rig.post(f"/console/events/{seqs[0]}/replay", page="/console/events")
    assert answer.status_code == 303
    assert 'data-replay="true"' in rig.get("/console/events").text
    state = SyncState(pg_url)
    run = state.start_run("crm", "push")
    state.finish_run(
        run,
        "partial",
        {"processed": 2, "created": 1},
        None,
        [{"external_id": "x1", "error": "bad zip"}],
    )
    state.save_link("crm", "x2", "777", base={"address": "1 Linked Rd"})
    state.record_conflict("crm", "x3", "778", ["city"], {"city": "A"}, {"city": "B"}, {"city": "C"})
    state.close()
    overview = rig.get("/console/")
    assert overview.status_code == 200 and 'data-status="ok"' in overview.text
    assert "bad zip" in rig.get(f"/console/sync/runs/{run}").text
    assert re.findall(
        r'data-property-id="(\d+)"', rig.get("/console/properties", q="Linked").text
    ) == ["777"]
    assert (
        len(re.findall(r'data-property-id="', rig.get("/console/properties", q="Harbor").text)) == 5
    )
    assert 'data-field="city"' in rig.get("/console/conflicts").text
