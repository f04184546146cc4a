"""The built-in handlers against the real servers: RabbitMQ, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import ConfigurationError
from open_to_close.service.handlers import (
    HandlerSet,
    RabbitPublisher,
    TaskCompletions,
    import_handler,
)

AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def bridge_prefix() -> Iterator[str]:
    from open_to_close.queue.rabbitmq import MessageQueueIntegration

    prefix = f"test-{uuid.uuid4().hex[:8]}."
    yield prefix
    with MessageQueueIntegration(AMQP, prefix=prefix) as bridge:
        bridge.delete_queues()


def test_publish_to_rabbitmq(bridge_prefix: str) -> None:
    from open_to_close.queue.rabbitmq import MessageQueueIntegration

    publish = RabbitPublisher(AMQP, bridge_prefix)
    prop = {"id": 7, "address": "1 Queue St", "status": "sold"}
    assert publish({"event_type": "property.status_changed", "property": prop}) == {
        "published": "property_updates"
    }
    task = {"id": 3, "property_id": 7, "title": "Sign"}
    assert publish({"event_type": "task.completed", "task": task})["published"] == (
        "task_notifications"
    )
    with MessageQueueIntegration(AMQP, prefix=bridge_prefix) as bridge:
        method, _, body = bridge.channel.basic_get(bridge.name("property_updates"), auto_ack=True)
        assert method is not None
        message = json.loads(body)
        assert message["property_id"] == 7 and message["data"] == prop
        method, _, body = bridge.channel.basic_get(bridge.name("task_notifications"), auto_ack=True)
        assert json.loads(body)["task"] == task


def test_publish_to_a_broker_that_is_down_raises_so_the_task_is_retried() -> None:
    publish = RabbitPublisher("amqp://guest:guest@127.0.0.1:1/%2F")
    with pytest.raises(ConnectionError):
        publish({"event_type": "property.created", "property": {"id": 1}})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_task_completions_are_recorded_once(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db" if backend == "sqlite" else POSTGRES
    record = TaskCompletions(url)
    task_id = f"t-{uuid.uuid4().hex[:10]}"
    event = {
        "id": "evt_1",
        "event_type": "task.completed",
        "task": {"id": task_id, "property_id": 9, "title": "Walkthrough"},
    }
    try:
        assert record(event) == {"recorded": task_id}
        assert record({**event, "id": "evt_2"}) == {"recorded": task_id}  # a retry
        rows = [r for r in record.completions() if r["task_id"] == task_id]
        assert len(rows) == 1 and rows[0]["event_id"] == "evt_1"
        assert record({"event_type": "task.completed"}) == {"recorded": None}
    finally:
        with record.engine.begin() as conn:
            conn.execute(record.table.delete().where(record.table.c.task_id == task_id))


def test_handlers_compose_in_order_and_count() -> None:
    registry = CollectorRegistry()
    handlers = HandlerSet(registry)
    calls: list[str] = []
    handlers.add("property.created", "first", lambda e: calls.append("first") or 1)
    handlers.add("property.created", "second", lambda e: calls.append("second") or 2)
    run = handlers.composed("property.created")
    assert run({"event_type": "property.created"}) == {
        "status": "processed",
        "results": {"first": 1, "second": 2},
    }
    assert calls == ["first", "second"]

    def broken(event: dict[str, object]) -> None:
        raise RuntimeError("down")

    handlers.add("task.completed", "broken", broken)
    with pytest.raises(RuntimeError):
        handlers.composed("task.completed")({"event_type": "task.completed"})
    value = registry.get_sample_value(
        "otc_service_events_total", {"event_type": "task.completed", "outcome": "failed"}
    )
    assert value == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.service.no_such_module:f", "cannot import"),
        ("tests.service.hooks_for_tests:nothing_here", "has no function"),
    ],
)
def test_bad_handler_paths(path: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        import_handler(path)


def test_handler_paths_in_both_spellings() -> None:
    from tests.service import hooks_for_tests

    for path in (
        "tests.service.hooks_for_tests:record_status_change",
        "tests.service.hooks_for_tests.record_status_change",
    ):
        assert import_handler(path) is hooks_for_tests.record_status_change
