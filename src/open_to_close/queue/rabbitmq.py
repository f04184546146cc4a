"""The guide's RabbitMQ integration, made safe: four durable queues, nothing lost.

- ``property_updates``, ``task_notifications``, ``document_processing`` and
  ``email_notifications`` are durable quorum queues; messages are published persistent,
  with publisher confirms, so a message is on disk before ``publish`` returns.
- A consumer acks only after its handler returns. A handler that raises gets the message
  nacked and re-queued after a growing pause (``retry_delay * 2**n``); RabbitMQ counts the
  deliveries, and past ``max_retries`` re-deliveries it moves the message to the queue's
  dead-letter queue (``<name>.dead``, through the ``otc.dead-letter`` exchange), where
  :meth:`MessageQueueIntegration.dead_letters` shows it and
  :meth:`~MessageQueueIntegration.retry_dead_letters` sends it back.
- Messages are JSON; a body that isn't is dead-lettered at once (retrying can't fix it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from .._optional import require
from .._redact import get_logger
from .._urls import check_scheme

log = get_logger(__name__)

QUEUES = ("property_updates", "task_notifications", "document_processing", "email_notifications")
DEAD_LETTER_EXCHANGE = "otc.dead-letter"
SCHEMES = ("amqp", "amqps")  # what pika's URLParameters reads

MessageHandler = Callable[[dict[str, Any]], Any]
F = TypeVar("F", bound=MessageHandler)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class MessageQueueIntegration:
    """Publish Open To Close events to RabbitMQ and consume them with handlers.

    ``prefix`` is put before every queue and exchange name (separate environments, or
    tests, on one broker). ``max_retries``: re-deliveries before a message is
    dead-lettered. ``retry_delay``: seconds before the first re-delivery, doubling.
    """

    def __init__(
        self,
        otc_client: Any = None,
        url: str = "amqp://guest:guest@localhost:5672/%2F",
        *,
        prefix: str = "",
        max_retries: int = 3,
        retry_delay: float = 1.0,
    ) -> None:
        # The guide writes ``MessageQueueIntegration(client)``; a URL in first place (the
        # usual call) works too.
        if isinstance(otc_client, str):
            otc_client, url = None, otc_client
        check_scheme(url, SCHEMES, "RabbitMQ")
        self.otc_client = otc_client
        self._pika = require("pika", "rabbitmq", "The RabbitMQ integration")
        if max_retries < 0 or retry_delay < 0:
            raise ValueError("max_retries and retry_delay must be 0 or more")
        self.prefix = prefix
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.handlers: dict[str, MessageHandler] = {}
        self._stop = threading.Event()
        self._delayed = 0  # nacks scheduled for later: messages still in our hands
        try:
            self.connection = self._pika.BlockingConnection(self._pika.URLParameters(url))
        except Exception as exc:
            raise ConnectionError(f"can't connect to RabbitMQ: {type(exc).__name__}") from None
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self._setup_queues()

    def name(self, queue: str) -> str:
        return f"{self.prefix}{queue}"

    def _setup_queues(self) -> None:
        exchange = self.name(DEAD_LETTER_EXCHANGE)
        self.channel.exchange_declare(exchange, exchange_type="direct", durable=True)
        for queue in QUEUES:
            name = self.name(queue)
            self.channel.queue_declare(f"{name}.dead", durable=True)
            self.channel.queue_bind(f"{name}.dead", exchange, routing_key=name)
            self.channel.queue_declare(
                name,
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    "x-delivery-limit": self.max_retries,
                    "x-dead-letter-exchange": exchange,
                    "x-dead-letter-routing-key": name,
                },
            )

    # -- publishing ----------------------------------------------------------------------

    def publish(self, queue: str, message: dict[str, Any]) -> None:
        """Publish ``message`` (JSON) persistently to one of :data:`QUEUES`; confirmed."""
        if queue not in QUEUES:
            raise ValueError(f"unknown queue {queue!r}; use one of {', '.join(QUEUES)}")
        self.channel.basic_publish(
            exchange="",
            routing_key=self.name(queue),
            body=json.dumps(message).encode(),
            properties=self._pika.BasicProperties(delivery_mode=2, content_type="application/json"),
            mandatory=True,
        )

    def publish_property_update(self, property_data: dict[str, Any]) -> None:
        """The guide's message: ``event_type``, ``property_id``, ``data``, ``timestamp``."""
        self.publish(
            "property_updates",
            {
                "event_type": "property_updated",
                "property_id": property_data["id"],
                "data": property_data,
                "timestamp": _now(),
            },
        )

    def publish_task_notification(self, task: dict[str, Any]) -> None:
        self.publish(
            "task_notifications",
            {"event_type": "task_notification", "task": task, "timestamp": _now()},
        )

    # -- consuming -----------------------------------------------------------------------

    def on(self, queue: str) -> Callable[[F], F]:
        """Register the handler of one queue (decorator); it gets the decoded message."""
        if queue not in QUEUES:
            raise ValueError(f"unknown queue {queue!r}; use one of {', '.join(QUEUES)}")

        def register(func: F) -> F:
            self.handlers[queue] = func
            return func

        return register

    def _callback(self, queue: str) -> Callable[..., None]:
        handler = self.handlers[queue]

        def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
            try:
                message = json.loads(body)
            except ValueError:
                log.error("message on %s is not JSON; dead-lettering it", queue)
                ch.basic_reject(method.delivery_tag, requeue=False)
                return
            try:
                handler(message)
            except Exception as exc:
                count = int((properties.headers or {}).get("x-delivery-count", 0))
                delay = self.retry_delay * 2**count
                log.warning("handler of %s failed (%s); re-queued in %.3g s", queue, exc, delay)
                tag = method.delivery_tag

                def requeue() -> None:
                    self._delayed -= 1
                    ch.basic_nack(tag, requeue=True)

                self._delayed += 1
                self.connection.call_later(delay, requeue)
                return
            ch.basic_ack(method.delivery_tag)

        return on_message

    def start_consuming(self, *, stop_when_idle: float | None = None) -> None:
        """Consume every queue with a handler until :meth:`stop_consuming`.

        With ``stop_when_idle=S``, return once no message has come for ``S`` seconds and
        none is waiting for a re-delivery.
        """
        if not self.handlers:
            raise RuntimeError("register a handler first: @integration.on('property_updates')")
        self._stop.clear()
        self.channel.basic_qos(prefetch_count=1)
        tags = [
            self.channel.basic_consume(self.name(q), self._callback(q), auto_ack=False)
            for q in self.handlers
        ]
        idle = 0.0
        step = 0.1
        while not self._stop.is_set():
            self.connection.process_data_events(time_limit=step)
            if stop_when_idle is not None:
                busy = self._delayed or self._ready()
                idle = 0.0 if busy else idle + step
                if idle >= stop_when_idle:
                    break
        for tag in tags:
            self.channel.basic_cancel(tag)

    def _ready(self) -> int:
        """Messages waiting in the consumed queues."""
        return sum(
            self.channel.queue_declare(self.name(q), passive=True).method.message_count
            for q in self.handlers
        )

    def stop_consuming(self) -> None:
        self._stop.set()

    # -- dead letters --------------------------------------------------------------------

    def dead_letters(self, queue: str, limit: int = 100) -> list[dict[str, Any]]:
        """Peek at up to ``limit`` dead letters of ``queue`` (they stay there)."""
        out: list[dict[str, Any]] = []
        tags = []
        for _ in range(limit):
            method, _props, body = self.channel.basic_get(f"{self.name(queue)}.dead")
            if method is None:
                break
            tags.append(method.delivery_tag)
            out.append(json.loads(body) if body.startswith((b"{", b"[")) else {"raw": body})
        for tag in tags:
            self.channel.basic_nack(tag, requeue=True)
        return out

    def retry_dead_letters(self, queue: str) -> int:
        """Send every dead letter of ``queue`` back to it; how many went."""
        moved = 0
        while True:
            method, _props, body = self.channel.basic_get(f"{self.name(queue)}.dead")
            if method is None:
                return moved
            self.channel.basic_publish(
                "", self.name(queue), body, self._pika.BasicProperties(delivery_mode=2)
            )
            self.channel.basic_ack(method.delivery_tag)
            moved += 1

    def delete_queues(self) -> None:
        """Delete this integration's queues and exchange (tests, teardown)."""
        for queue in QUEUES:
            self.channel.queue_delete(self.name(queue))
            self.channel.queue_delete(f"{self.name(queue)}.dead")
        self.channel.exchange_delete(self.name(DEAD_LETTER_EXCHANGE))

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self) -> MessageQueueIntegration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
