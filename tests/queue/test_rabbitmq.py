"""The guide's RabbitMQ integration on the real broker: durable, acked late, dead-lettered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pika
import pytest

from open_to_close.queue.rabbitmq import QUEUES, MessageQueueIntegration

from .conftest import AMQP, unique

URL = AMQP.rstrip("/") + "/%2F"


@pytest.fixture
def mq() -> Iterator[MessageQueueIntegration]:
    integration = MessageQueueIntegration(URL, prefix=unique() + ".", retry_delay=0.01)
    yield integration
    integration.delete_queues()
    integration.close()


def test_four_durable_queues_and_persistent_messages(mq: MessageQueueIntegration) -> None:
    mq.publish_property_update({"id": 5, "status": "sold"})
    for queue in QUEUES:
        declared = mq.channel.queue_declare(mq.name(queue), passive=True)
        assert declared.method.queue == mq.name(queue)
    method, props, body = mq.channel.basic_get(mq.name("property_updates"))
    assert props.delivery_mode == 2
    mq.channel.basic_ack(method.delivery_tag)
    assert b'"property_id": 5' in body
    # Durable: declaring one of them as non-durable is refused by the broker.
    probe = pika.BlockingConnection(pika.URLParameters(URL))
    with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="durable"):
        probe.channel().queue_declare(mq.name("task_notifications"), durable=False)
    probe.close()


def test_ack_after_success_requeue_on_failure_then_dead_letter(mq: MessageQueueIntegration) -> None:
    handled: list[Any] = []
    calls: list[int] = []

    @mq.on("property_updates")
    def handle(message: dict[str, Any]) -> None:
        calls.append(message["property_id"])
        if message["property_id"] == 2:
            raise ConnectionError("CRM down")
        handled.append(message["property_id"])

    mq.publish_property_update({"id": 1})
    mq.publish_property_update({"id": 2})
    mq.start_consuming(stop_when_idle=0.3)
    assert handled == [1]
    assert calls.count(2) == 1 + mq.max_retries  # the first try and every re-delivery
    (dead,) = mq.dead_letters("property_updates")
    assert dead["property_id"] == 2 and dead["event_type"] == "property_updated"
    assert (
        mq.channel.queue_declare(mq.name("property_updates"), passive=True).method.message_count
        == 0
    )

    mq.handlers["property_updates"] = lambda message: handled.append(message["property_id"])
    assert mq.retry_dead_letters("property_updates") == 1
    mq.start_consuming(stop_when_idle=0.3)
    assert handled == [1, 2] and mq.dead_letters("property_updates") == []


def test_a_consumer_that_dies_before_acking_loses_nothing(mq: MessageQueueIntegration) -> None:
    mq.publish_task_notification({"id": 8, "assignee": "sam"})
    other = pika.BlockingConnection(pika.URLParameters(URL))
    channel = other.channel()
    method, _props, _body = channel.basic_get(mq.name("task_notifications"))
    assert method is not None
    other.close()  # gone without an ack
    seen: list[Any] = []
    mq.on("task_notifications")(lambda message: seen.append(message["task"]["id"]))
    mq.start_consuming(stop_when_idle=0.3)
    assert seen == [8]


def test_non_json_is_dead_lettered_at_once(mq: MessageQueueIntegration) -> None:
    mq.channel.basic_publish("", mq.name("email_notifications"), b"not json")
    mq.on("email_notifications")(lambda message: None)
    mq.start_consuming(stop_when_idle=0.3)
    assert mq.dead_letters("email_notifications") == [{"raw": b"not json"}]


def test_unknown_queue_and_no_handlers(mq: MessageQueueIntegration) -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        mq.publish("nope", {})
    with pytest.raises(RuntimeError, match="handler"):
        mq.start_consuming()


def test_broker_down_is_a_clear_error() -> None:
    with pytest.raises(ConnectionError, match="RabbitMQ"):
        MessageQueueIntegration("amqp://guest:guest@127.0.0.1:9/%2F")


def test_the_guides_call_with_the_client_first(client: Any) -> None:
    # The guide: ``mq_integration = MessageQueueIntegration(client)``.
    integration = MessageQueueIntegration(client, URL, prefix=unique() + ".")
    try:
        assert integration.otc_client is client
        integration.publish_property_update({"id": 1, "status": "active"})
    finally:
        integration.delete_queues()
        integration.close()
