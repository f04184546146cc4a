"""The service's webhook handlers: the user's (by dotted path) and the built-in ones.

Built-ins, switched on in ``[webhooks.builtin]`` without code:

- ``publish_to_rabbitmq = "amqp://..."``: property events go to the guide's
  ``property_updates`` queue, task events to ``task_notifications``;
- ``invalidate_cache = true``: a change made in Open To Close by anyone drops the cached
  copies of the property (and of its details, for a note, task or document);
- ``record_task_completions = true``: each completed task is kept in the state database
  (table ``otc_task_completions``), once per task, whatever the retries.

Several handlers may take one event type; they run in order and each one's result is
returned under its name. One that raises makes the task fail, so the queue retries it:
handlers must be idempotent (the built-ins are).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from .._model.events import DETAIL_EVENTS, PROPERTY_EVENTS, TASK_EVENTS
from ..exceptions import ConfigurationError

EventFunc = Callable[[dict[str, Any]], Any]

# What each built-in takes, from the one table of event types (``_model.events``).
PUBLISHED_EVENTS: tuple[str, ...] = (
    # The guide's ``property_updates`` message says "property_updated" and carries the
    # record: a deletion is not one.
    *(event for event in PROPERTY_EVENTS if not event.endswith(".deleted")),
    *TASK_EVENTS,
)
INVALIDATING_EVENTS: tuple[str, ...] = (*PROPERTY_EVENTS, *DETAIL_EVENTS, *TASK_EVENTS)


def import_handler(path: str) -> EventFunc:
    """``package.module:function`` (or ``package.module.function``) -> the function."""
    module_name, _, attribute = path.rpartition(":") if ":" in path else path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"handler {path!r}: cannot import {module_name!r}: {exc}"
        ) from None
    func = getattr(module, attribute, None)
    if not callable(func):
        raise ConfigurationError(f"handler {path!r}: {module_name} has no function {attribute!r}")
    return func  # type: ignore[no-any-return]


def _property_id(event: dict[str, Any]) -> Any:
    for key in ("property", "task", "note", "document", "contact"):
        record = event.get(key)
        if isinstance(record, dict):
            return record.get("id") if key == "property" else record.get("property_id")
    return None


class RabbitPublisher:
    """Publishes events to the guide's queues; one connection per worker thread (pika's
    connections must not be shared across threads)."""

    def __init__(self, url: str, prefix: str = "") -> None:
        self.url = url
        self.prefix = prefix
        self._local = threading.local()

    def _bridge(self) -> Any:
        bridge = getattr(self._local, "bridge", None)
        if bridge is None:
            from ..queue.rabbitmq import MessageQueueIntegration

            bridge = self._local.bridge = MessageQueueIntegration(self.url, prefix=self.prefix)
        return bridge

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        kind = str(event.get("event_type", ""))
        try:
            if kind.startswith("property.") and isinstance(event.get("property"), dict):
                self._bridge().publish_property_update(event["property"])
                return {"published": "property_updates"}
            if kind.startswith("task.") and isinstance(event.get("task"), dict):
                self._bridge().publish_task_notification(event["task"])
                return {"published": "task_notifications"}
        except Exception:
            self._local.bridge = None  # reconnect on the retry
            raise
        return {"published": None}


class CacheInvalidator:
    """Drops the cached copies of the property an event is about."""

    def __init__(self, cached_client: Any) -> None:
        self.cached = cached_client

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        property_id = _property_id(event)
        if property_id is None:
            return {"invalidated": None}
        self.cached.invalidate_property(property_id)
        return {"invalidated": property_id}


class TaskCompletions:
    """Keeps each completed task in ``otc_task_completions`` (first completion wins)."""

    def __init__(self, db_url: str) -> None:
        from sqlalchemy import Column, DateTime, MetaData, String, Table

        from .._sql import create_tables, make_engine

        self.engine = make_engine(db_url)
        metadata = MetaData()
        self.table = Table(
            "otc_task_completions",
            metadata,
            Column("task_id", String(64), primary_key=True),
            Column("property_id", String(64)),
            Column("title", String(500)),
            Column("event_id", String(128)),
            Column("completed_at", DateTime(timezone=True)),
        )
        create_tables(metadata, self.engine)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        from sqlalchemy import select

        task = event.get("task")
        if not isinstance(task, dict) or task.get("id") is None:
            return {"recorded": None}
        row = {
            "task_id": str(task["id"]),
            "property_id": str(task.get("property_id", "")),
            "title": str(task.get("title", ""))[:500],
            "event_id": str(event.get("id", "")),
            "completed_at": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(self.table.c.task_id).where(self.table.c.task_id == row["task_id"])
            ).first()
            if exists is None:
                conn.execute(self.table.insert().values(**row))
        return {"recorded": row["task_id"]}

    def completions(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(self.table))]


class HandlerSet:
    """Per event type, the handlers to run, composed into one function each."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.handlers: dict[str, list[tuple[str, EventFunc]]] = {}
        self.events = Counter(
            "otc_service_events_total",
            "Webhook events handled by the service's workers",
            ["event_type", "outcome"],
            registry=registry,
        )

    def add(self, event_type: str, name: str, func: EventFunc) -> None:
        self.handlers.setdefault(event_type, []).append((name, func))

    def composed(self, event_type: str) -> EventFunc:
        chain = self.handlers[event_type]

        def run(event: dict[str, Any]) -> dict[str, Any]:
            results: dict[str, Any] = {}
            try:
                for name, func in chain:
                    results[name] = func(event)
            except Exception:
                self.events.labels(event_type, "failed").inc()
                raise
            self.events.labels(event_type, "handled").inc()
            return {"status": "processed", "results": results}

        run.__name__ = f"handle_{event_type.replace('.', '_').replace('*', 'any')}"
        return run
