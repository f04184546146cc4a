"""The overview: the health of each part, the rate budget, recent errors, charts."""

from __future__ import annotations

import re
from collections.abc import Callable

from .conftest import Rig


def _status(html: str, part: str) -> str:
    found = re.search(rf'data-testid="health-{part}" data-status="(\w+)"', html)
    assert found, f"no health-{part}"
    return found.group(1)


def test_overview_shows_each_part_healthy(rig: Rig) -> None:
    page = rig.get("/console/").text
    assert {p: _status(page, p) for p in ("api", "state", "queue", "cache", "feed")} == {
        "api": "ok",
        "state": "ok",
        "queue": "ok",
        "cache": "ok",
        "feed": "off",
    }
    assert 'data-testid="rate-budget"' in page and 'data-testid="recent-errors"' in page
    for chart in ("events", "sync", "queue", "rate"):
        assert f'data-testid="chart-{chart}"' in page
    for href in (
        "/console/sync",
        "/console/conflicts",
        "/console/queue",
        "/console/events",
        "/console/properties",
    ):
        assert f'href="{href}"' in page


def test_a_part_that_is_down_shows_failing_and_the_page_still_renders(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(cache={"url": "redis://127.0.0.1:1/0"}, events={"source": "poll"})
    rig.login()
    page = rig.get("/console/")
    assert page.status_code == 200
    assert _status(page.text, "cache") == "failing"
    assert _status(page.text, "feed") == "ok"  # polling, nothing waiting


def test_rate_budget_names_the_limit(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(api={"rate_limit": "120/m"})
    rig.login()
    rig.components.client.properties.list_properties()
    budget = rig.get("/console/").text.split('data-testid="rate-budget"')[1].split("</div>")[0]
    assert "of 120 allowed" in budget


def test_recent_errors_list_a_failed_sync_run(rig: Rig) -> None:
    from open_to_close.sync import SyncState

    state = SyncState(rig.components.config.state.url)
    run = state.start_run("crm", "push")
    state.finish_run(run, "failed", {"processed": 0}, "source file vanished")
    state.close()
    errors = rig.get("/console/").text.split('data-testid="recent-errors"')[1]
    assert "source file vanished" in errors and f"/console/sync/runs/{run}" in errors


def test_a_queue_that_is_down_fails_its_card_not_the_page(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(queue={"url": "redis://127.0.0.1:1/0?queue=otc-console-down"})
    rig.login()
    page = rig.get("/console/")
    assert page.status_code == 200
    assert _status(page.text, "queue") == "failing" and _status(page.text, "api") == "ok"
    assert 'data-kind="error"' in page.text and "queue counts could not be read" in page.text
    queue = rig.get("/console/queue")
    assert queue.status_code == 503 and "not answering" in queue.text
    assert 'data-testid="nav"' in queue.text  # still the console, signed in
