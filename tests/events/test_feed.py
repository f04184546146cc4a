"""The change feed against the sandbox's live-like mode: events made by reading the API."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.events import ChangeFeed, FeedState
from open_to_close.queue import connect
from open_to_close.sandbox import SandboxServer
from open_to_close.webhooks import WebhookHandler

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feed.db'}"
    return POSTGRES


@pytest.fixture
def feed_name(request: pytest.FixtureRequest) -> str:
    """A feed name per test, so PostgreSQL state shared by tests never mixes."""
    return f"t-{os.getpid()}-{abs(hash(request.node.nodeid)) % 10**9}"


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_type"] for e in events]


def test_status_change_makes_one_status_changed_event(
    client: OpenToCloseAPI, state_url: str, feed_name: str
) -> None:
    pid = client.properties.create_property({"address": "1 Feed St", "status": "active"})["id"]
    with ChangeFeed(client, state=state_url, name=feed_name) as feed:
        first = feed.poll_once()
        assert _types(first) == ["property.created"]
        assert first[0]["property"]["address"] == "1 Feed St"
        assert feed.poll_once() == []  # nothing changed
        client.properties.update_property(pid, {"status": "sold"})
        events = feed.poll_once()
    assert _types(events) == ["property.updated", "property.status_changed"]
    changed = events[1]
    assert changed["previous_status"] == "active"
    assert changed["property"]["status"] == "sold" and changed["property"]["id"] == pid
    assert changed["id"].startswith("evt_") and changed["created_at"].endswith("Z")
    FeedState(state_url).reset(feed_name)


def test_restart_with_the_same_state_emits_nothing_twice(
    client: OpenToCloseAPI, state_url: str, feed_name: str
) -> None:
    client.properties.create_property({"address": "2 Feed St"})
    with ChangeFeed(client, state=state_url, name=feed_name) as feed:
        assert len(feed.poll_once()) == 1
    with ChangeFeed(client, state=state_url, name=feed_name) as again:
        assert again.poll_once() == []
    FeedState(state_url).reset(feed_name)


def test_deletes_and_creates_and_stable_ids(client: OpenToCloseAPI, tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    a = client.properties.create_property({"address": "A St"})["id"]
    with ChangeFeed(client, state=state, emit_existing=False) as feed:
        assert feed.poll_once() == []  # a silent start
        client.properties.delete_property(a)
        b = client.properties.create_property({"address": "B St"})["id"]
        events = feed.poll_once()
    assert sorted(_types(events)) == ["property.created", "property.deleted"]
    deleted = next(e for e in events if e["event_type"] == "property.deleted")
    assert deleted["property"]["id"] == a and deleted["property"]["address"] == "A St"
    # The same change found by another state gives the same event id.
    with ChangeFeed(client, state=f"sqlite:///{tmp_path / 'other.db'}") as other:
        (created,) = other.poll_once()
    assert created["property"]["id"] == b
    assert created["id"] == next(e["id"] for e in events if e["event_type"] == "property.created")


def test_handlers_run_once_through_a_webhook_handler(
    client: OpenToCloseAPI, tmp_path: Path
) -> None:
    handler = WebhookHandler("unused-secret", dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    seen: list[tuple[Any, Any]] = []

    @handler.on("property.status_changed")
    def changed(event: dict[str, Any]) -> None:
        seen.append((event["property"]["id"], event["previous_status"]))

    pid = client.properties.create_property({"address": "3 Feed St", "status": "pre_mls"})["id"]
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    with ChangeFeed(client, handler, state=state) as feed:
        feed.poll_once()
        client.properties.update_property(pid, {"status": "active"})
        feed.poll_once()
        feed.poll_once()
    assert seen == [(pid, "pre_mls")]
    handler.close()


def test_tasks_are_read_when_asked(client: OpenToCloseAPI, tmp_path: Path) -> None:
    pid = client.properties.create_property({"address": "4 Feed St"})["id"]
    task = client.property_tasks.create_property_task(
        pid, {"title": "Inspect", "status": "pending"}
    )
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    with ChangeFeed(client, state=state, resources=("properties", "tasks")) as feed:
        assert sorted(_types(feed.poll_once())) == ["property.created", "task.created"]
        client.property_tasks.update_property_task(pid, task["id"], {"status": "completed"})
        events = feed.poll_once()
    assert _types(events) == ["task.updated", "task.completed"]
    assert events[1]["task"]["id"] == task["id"] and events[1]["previous_status"] == "pending"


def test_a_scan_costs_one_request_per_page(client: OpenToCloseAPI, tmp_path: Path) -> None:
    for n in range(137):
        client.properties.create_property({"address": f"{n} Scan St"})
    with ChangeFeed(client, state=f"sqlite:///{tmp_path / 'feed.db'}") as feed:
        assert len(feed.poll_once()) == 137
        assert feed.requests <= math.ceil(137 / 50) + 1
        feed.poll_once()
        assert feed.requests == math.ceil(137 / 50)  # the clamp is known now


def test_events_go_on_a_queue_once(client: OpenToCloseAPI, tmp_path: Path) -> None:
    queue = connect(f"sqlite:///{tmp_path / 'queue.db'}")
    handler = WebhookHandler("unused-secret", dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    ran: list[str] = []
    handler.register_handler("*", lambda event: ran.append(event["event_type"]))
    client.properties.create_property({"address": "5 Feed St"})
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    with ChangeFeed(client, handler, queue=queue, state=state) as feed:
        assert len(feed.poll_once()) == 1
        assert feed.poll_once() == []
    queue.worker().run(stop_when_idle=True)
    assert ran == ["property.created"]
    assert queue.stats()["done"] == 1
    handler.close()


def test_bad_settings_are_refused(client: OpenToCloseAPI, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="resources must include 'properties'"):
        ChangeFeed(client, state=f"sqlite:///{tmp_path / 'f.db'}", resources=("notes",))
    with pytest.raises(ValueError, match="budget must be a share"):
        ChangeFeed(client, state=f"sqlite:///{tmp_path / 'f.db'}", budget=2)


def _poll_and_die(base_url: str, api_key: str, state: str) -> None:
    """Commit the snapshots and the events, then die before handing anything over."""
    with OpenToCloseAPI(api_key, base_url) as client:
        feed = ChangeFeed(client, state=state)
        feed._hand_over = lambda event: os.kill(os.getpid(), signal.SIGKILL)  # type: ignore[method-assign]
        feed.poll_once()


def test_killed_between_the_snapshot_and_the_hand_over(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    pid = client.properties.create_property({"address": "6 Feed St", "status": "active"})["id"]
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    with ChangeFeed(client, state=state) as feed:
        feed.poll_once()
    client.properties.update_property(pid, {"status": "sold"})
    child = mp.get_context("spawn").Process(
        target=_poll_and_die, args=(sb.base_url, sb.api_key, state)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    handler = WebhookHandler("unused-secret", dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    seen: list[str] = []
    handler.register_handler("*", lambda event: seen.append(event["event_type"]))
    with ChangeFeed(client, handler, state=state) as restarted:
        restarted.poll_once()
        restarted.poll_once()
    assert seen == ["property.updated", "property.status_changed"]  # once each
    handler.close()


def test_two_pollers_of_one_feed_never_poll_at_once(
    client: OpenToCloseAPI, sb: SandboxServer, state_url: str, feed_name: str
) -> None:
    client.properties.create_property({"address": "7 Lease St"})
    with ChangeFeed(client, state=state_url, name=feed_name) as one:
        with one.state.lease(feed_name):  # another instance is in the middle of a poll
            with ChangeFeed(client, state=state_url, name=feed_name) as two:
                before = sb.stats()["total"]
                assert two.poll_once() == []
                assert sb.stats()["total"] == before  # it did not even read
        assert len(one.poll_once()) == 1  # the lease is free again
    FeedState(state_url).reset(feed_name)


def test_events_go_through_celery_on_rabbitmq_once(client: OpenToCloseAPI, tmp_path: Path) -> None:
    from tests.queue.conftest import celery_url

    queue = connect(celery_url("amqp", tmp_path), visibility_timeout=5)
    handler = WebhookHandler("unused-secret", dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    ran: list[str] = []
    handler.register_handler("*", lambda event: ran.append(event["event_type"]))
    pid = client.properties.create_property({"address": "8 Celery St", "status": "active"})["id"]
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    try:
        with ChangeFeed(client, handler, queue=queue, state=state, emit_existing=False) as feed:
            assert feed.poll_once() == []
            client.properties.update_property(pid, {"status": "sold"})
            assert len(feed.poll_once()) == 2
            assert feed.poll_once() == []
        with ChangeFeed(client, handler, queue=queue, state=state) as restarted:
            assert restarted.poll_once() == []
        queue.worker(concurrency=1).run(stop_when_idle=True)
        assert sorted(ran) == ["property.status_changed", "property.updated"]
        assert queue.stats()["done"] == 2
    finally:
        with queue.app.connection_for_write() as conn:  # type: ignore[attr-defined]
            conn.default_channel.queue_delete(queue.queue_name)  # type: ignore[attr-defined]
        queue.close()
        handler.close()
