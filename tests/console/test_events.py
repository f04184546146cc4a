"""The events page: what the service took from webhooks and the change feed, the body,
the outcome, and replay (marked as a replay, never deduplicated away)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx2

from open_to_close import OpenToCloseAPI

from . import hooks
from .conftest import WEBHOOK_SECRET, Rig, check_paging

HANDLERS = {"handlers": {"property.created": ["tests.console.hooks:record"]}}


def deliver(rig: Rig, event: dict[str, Any]) -> httpx2.Response:
    body = json.dumps(event).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return httpx2.post(
        rig.url + "/webhook/otc",
        content=body,
        headers={"X-OTC-Signature": f"sha256={signature}", "Content-Type": "application/json"},
    )


def created(address: str = "1 Journal St", pid: int = 42) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:12]}",
        "event_type": "property.created",
        "created_at": "2025-01-01T00:00:00Z",
        "property": {"id": pid, "address": address, "status": "active"},
    }


def rows(html: str) -> list[tuple[str, str]]:
    """(seq, attributes) of each event row."""
    return re.findall(r'<tr data-testid="event" data-event-id="(\d+)"([^>]*)>', html)


def cell(html: str, seq: str, name: str) -> str:
    row = html.split(f'data-event-id="{seq}"')[1].split("</tr>")[0]
    found = re.search(rf'class="{name}[^"]*">(.*?)</td>', row, re.S)
    assert found, name
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_a_webhook_is_journaled_handled_and_replayed(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(webhooks=HANDLERS)
    rig.login()
    hooks.seen.clear()
    event = created()
    assert deliver(rig, event).status_code == 202
    assert deliver(rig, event).json()["status"] == "duplicate"  # no second row
    page = rig.get("/console/events").text
    [(seq, _attrs)] = rows(page)
    assert cell(page, seq, "type") == "property.created"
    assert cell(page, seq, "property") == "42"
    assert cell(page, seq, "outcome") == "received" and cell(page, seq, "source") == "webhook"
    rig.components.queue.worker().run(stop_when_idle=True)
    page = rig.get("/console/events").text
    assert cell(page, seq, "outcome") == "handled"
    detail = rig.get(f"/console/events/{seq}").text
    body = detail.split('data-testid="event-body">')[1].split("</pre>")[0]
    assert event["id"] in body and "1 Journal St" in body
    answer = rig.post(f"/console/events/{seq}/replay", page=f"/console/events/{seq}")
    assert answer.status_code == 303
    replay_seq = answer.headers["location"].rsplit("/", 1)[1]
    page = rig.get("/console/events").text
    marked = dict(rows(page))
    assert 'data-replay="true"' in marked[replay_seq] and "replay" in cell(page, replay_seq, "type")
    assert "data-replay" not in marked[seq]
    rig.components.queue.worker().run(stop_when_idle=True)
    assert cell(rig.get("/console/events").text, replay_seq, "outcome") == "handled"
    assert len(hooks.seen) == 2  # the replay ran the handler again, not dropped as a duplicate
    assert "otc_replay" not in hooks.seen[0]
    assert hooks.seen[1]["otc_replay"] == {"of": event["id"], "journal": int(replay_seq)}
    assert hooks.seen[1]["property"] == event["property"]


def test_a_failing_handler_shows_failed_with_the_error(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(webhooks=HANDLERS)
    rig.login()
    queue = rig.components.queue
    spec = queue.tasks["otc.webhook"]
    queue.task(name="otc.webhook", max_retries=0, retry_backoff=0)(spec.func)
    event = created()
    hooks.failing.add(event["id"])
    try:
        deliver(rig, event)
        queue.worker().run(stop_when_idle=True)
    finally:
        hooks.failing.discard(event["id"])
    page = rig.get("/console/events", outcome="failed").text
    [(seq, _)] = rows(page)
    assert cell(page, seq, "outcome") == "failed"
    assert "the CRM is down" in rig.get(f"/console/events/{seq}").text
    assert "the CRM is down" in rig.get("/console/").text.split('data-testid="recent-errors"')[1]


def test_change_feed_events_are_journaled_as_feed(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI
) -> None:
    rig = make_rig(events={"source": "poll"})
    rig.login()
    pid = client.properties.create_property({"address": "9 Feed Rd", "status": "active"})["id"]
    feed = rig.components.change_feed
    feed.poll_once()  # the first poll takes its snapshot silently
    client.properties.update_property(pid, {"status": "sold"})
    assert len(feed.poll_once()) == 2  # updated + status_changed
    page = rig.get("/console/events", property=str(pid)).text
    found = rows(page)
    assert len(found) == 2
    assert {cell(page, seq, "source") for seq, _ in found} == {"feed"}
    assert {cell(page, seq, "type") for seq, _ in found} == {
        "property.updated",
        "property.status_changed",
    }


def test_events_are_paged_and_bad_filters_are_messages(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(webhooks=HANDLERS, console={"page_size": 5})
    rig.login()
    for n in range(11):
        assert deliver(rig, created(pid=n)).status_code == 202
    seen = check_paging(rig, "/console/events", r'data-event-id="(\d+)"', 11)
    assert seen == sorted(seen, key=int, reverse=True)
    for params in ({"outcome": "exploded"}, {"before": "x"}):
        answer = rig.get("/console/events", **params)
        assert answer.status_code == 400 and 'data-kind="error"' in answer.text
    assert rig.get("/console/events/999999").status_code == 404
    answer = rig.post("/console/events/999999/replay", page="/console/events")
    assert answer.status_code == 400 and "no event 999999" in answer.text
