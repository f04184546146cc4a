"""``ChangeFeed``: the guide's webhook events, made by reading the API.

The live API sends no webhooks (LIVE_API.md), so a handler written for the guide's events
would never run. A change feed reads the properties (and, if asked, their tasks), compares
each record's content with the snapshot it kept, and makes the events the guide's
webhooks would have carried::

    {"id": "evt_...", "event_type": "property.status_changed", "created_at": "...",
     "property": {...record with flat keys...}, "previous_status": "active"}

Each event reaches a :class:`~open_to_close.webhooks.WebhookHandler`'s functions (deduped
by its store) or a queue (``enqueue_once`` by event id), exactly once across restarts and
crashes: snapshots and events are committed together (see :mod:`.state`), and an event's
id is derived from the record, the change's number and its type, so finding the same
change again gives the same id.

Cost on the live API: one scan of N properties is ceil(N/50) requests (+1 at most);
``budget`` caps the feed's share of the client's rate so the user's own calls still run.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._hooks import Call, Hook
from .._redact import get_logger
from ..sync.lock import SyncLockedError
from ..webhooks.handler import Event
from ..webhooks.receiver import WEBHOOK_TASK, bind_queue
from .state import Change, FeedState, Snapshot

if TYPE_CHECKING:
    from ..client import OpenToCloseAPI
    from ..queue.base import TaskQueue
    from ..webhooks.handler import WebhookHandler

__all__ = ["RESOURCES", "ChangeFeed"]

log = get_logger(__name__)

RESOURCES = ("properties", "tasks")
_DEFAULT_NAME = "default"


def _digest(record: dict[str, Any]) -> str:
    text = json.dumps(record, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _event_id(feed: str, resource: str, record_id: str, version: int, event_type: str) -> str:
    key = f"{feed}|{resource}|{record_id}|{version}|{event_type}"
    return "evt_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Throttle(Hook):
    """Spaces the feed's own requests (only in the feed's thread) to its share of the rate."""

    def __init__(self, interval: Callable[[], float]) -> None:
        self._interval = interval
        self._local = threading.local()
        self._next = 0.0

    def active(self) -> _Active:
        return _Active(self._local)

    def on_request(self, call: Call) -> None:
        if not getattr(self._local, "on", False):
            return
        interval = self._interval()
        if interval <= 0:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + interval
        if slot > now:
            time.sleep(slot - now)


class _Active:
    def __init__(self, local: threading.local) -> None:
        self._local = local

    def __enter__(self) -> None:
        self._local.on = True

    def __exit__(self, *exc: object) -> None:
        self._local.on = False


class ChangeFeed:
    """Events from reading the API, handed to ``handler`` or put on ``queue``, once.

    ``state`` is a :class:`FeedState` or its URL (default: ``sqlite:///.otc/state.db`` in
    the working directory, or ``$OTC_EVENTS_STATE``). ``resources``: ``"properties"``
    and, at one more request per property and poll, ``"tasks"``. ``budget`` (0-1] is the
    share of the client's rate the feed may use (it needs the client's ``rate_limit`` or
    a pace the client learned; without either, the feed is not slowed). A new state sees
    every record as created; ``emit_existing=False`` starts silently from what exists.
    """

    def __init__(
        self,
        client: OpenToCloseAPI,
        handler: WebhookHandler | None = None,
        *,
        queue: TaskQueue | None = None,
        state: FeedState | str | None = None,
        resources: Iterable[str] = ("properties",),
        name: str = _DEFAULT_NAME,
        budget: float | None = None,
        emit_existing: bool = True,
    ) -> None:
        chosen = tuple(resources)
        unknown = [r for r in chosen if r not in RESOURCES]
        if unknown or "properties" not in chosen:
            raise ValueError(
                f"resources must include 'properties' and may add 'tasks'; got {chosen!r}"
            )
        if budget is not None and not (isinstance(budget, int | float) and 0 < budget <= 1):
            raise ValueError(
                f"budget must be a share of the rate, above 0 and at most 1; got {budget!r}"
            )
        self.client = client
        self.handler = handler
        self.queue = queue
        self.resources = chosen
        self.name = name
        self.budget = budget
        self.emit_existing = emit_existing
        self._owns_state = not isinstance(state, FeedState)
        self.state = state if isinstance(state, FeedState) else FeedState(state)
        self._stop = threading.Event()
        self._throttle = _Throttle(self._interval)
        client.add_hook(self._throttle)
        if queue is not None and handler is not None and WEBHOOK_TASK not in queue.tasks:
            bind_queue(handler, queue)
        self.requests = 0  # requests the last poll made
        self._counting = _CountRequests()
        client.add_hook(self._counting)

    # -- polling -------------------------------------------------------------------------

    def poll_once(self) -> list[dict[str, Any]]:
        """Read the API once; hand over and return the events found (and any a crash left
        in the outbox). Under the feed's lease: while another process polls the same feed
        (same state and name), this returns ``[]`` at once."""
        try:
            with self.state.lease(self.name):
                return self._poll()
        except SyncLockedError:
            log.info("change feed %s: another process is polling; skipped", self.name)
            return []

    def _poll(self) -> list[dict[str, Any]]:
        leftover = self._deliver()
        before = self._counting.count
        with self._throttle.active(), self._counting.active():
            events = self._scan()
        self.requests = self._counting.count - before
        delivered = self._deliver()
        if events:
            log.info(
                "change feed %s: %d event(s), %d request(s)", self.name, len(events), self.requests
            )
        return [*leftover, *delivered] if leftover else delivered

    def _scan(self) -> list[dict[str, Any]]:
        props = self.state.snapshots(self.name, "properties")
        silent = not props and not self.emit_existing
        changes: list[Change] = []
        events: list[dict[str, Any]] = []
        seen: set[str] = set()
        property_ids: list[Any] = []
        for record in self.client.properties.iter_properties():
            property_ids.append(record["id"])
            rid = str(record["id"])
            seen.add(rid)
            self._diff("properties", "property", rid, record, props.get(rid), changes, events)
        for rid, old in props.items():
            if rid not in seen:
                changes.append(Change("properties", rid, None))
                body = {"property": old.view}
                events.append(
                    self._event("properties", rid, old.version + 1, "property.deleted", body)
                )
        if "tasks" in self.resources:
            self._scan_tasks(property_ids, changes, events)
        self.state.commit(self.name, changes, [] if silent else events)
        return events

    def _scan_tasks(
        self, property_ids: list[Any], changes: list[Change], events: list[dict[str, Any]]
    ) -> None:
        tasks = self.state.snapshots(self.name, "tasks")
        seen: set[str] = set()
        for pid in property_ids:
            for task in self.client.property_tasks.iter_property_tasks(pid):
                task.setdefault("property_id", pid)
                tid = f"{pid}/{task['id']}"
                seen.add(tid)
                self._diff("tasks", "task", tid, task, tasks.get(tid), changes, events)
        for tid in tasks:
            if tid not in seen:
                changes.append(Change("tasks", tid, None))  # no task.deleted in the guide

    def _diff(
        self,
        resource: str,
        noun: str,
        rid: str,
        record: dict[str, Any],
        old: Snapshot | None,
        changes: list[Change],
        events: list[dict[str, Any]],
    ) -> None:
        digest = _digest(record)
        if old is not None and old.digest == digest:
            return
        version = 1 if old is None else old.version + 1
        status = record.get("status")
        status_text = None if status is None else str(status)
        view = _view(record) if resource == "properties" else dict(record)
        changes.append(Change(resource, rid, Snapshot(digest, version, status_text, view)))
        if old is None:
            events.append(self._event(resource, rid, version, f"{noun}.created", {noun: record}))
            return
        events.append(self._event(resource, rid, version, f"{noun}.updated", {noun: record}))
        if resource == "properties" and status_text != old.status:
            body = {noun: record, "previous_status": old.status}
            events.append(self._event(resource, rid, version, "property.status_changed", body))
        elif resource == "tasks" and status_text == "completed" != old.status:
            body = {noun: record, "previous_status": old.status}
            events.append(self._event(resource, rid, version, "task.completed", body))

    def _event(
        self, resource: str, rid: str, version: int, event_type: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": _event_id(self.name, resource, rid, version, event_type),
            "event_type": event_type,
            "created_at": _now(),
            **body,
        }

    # -- handing over --------------------------------------------------------------------

    def _deliver(self) -> list[dict[str, Any]]:
        out = []
        for seq, event in self.state.pending(self.name):
            self._hand_over(event)
            self.state.delivered(seq)
            out.append(event)
        return out

    def _hand_over(self, event: dict[str, Any]) -> None:
        if self.queue is not None:
            self.queue.enqueue_once(WEBHOOK_TASK, event, key=event["id"])
        elif self.handler is not None:
            self.handler.handle(Event(event["id"], event["event_type"], event))

    # -- running -------------------------------------------------------------------------

    def run(
        self, every: float = 60.0, *, on_error: Callable[[Exception], None] | None = None
    ) -> None:
        """Poll every ``every`` seconds until :meth:`stop`; a failed poll is logged and the
        next one tries again (its changes are found then)."""
        if not every > 0:
            raise ValueError(f"every must be a positive number of seconds; got {every!r}")
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:
                log.warning("change feed %s: poll failed: %s", self.name, exc)
                if on_error is not None:
                    on_error(exc)
            self._stop.wait(every)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.stop()
        for hook in (self._throttle, self._counting):
            if hook in self.client.hooks:
                self.client.remove_hook(hook)
        if self._owns_state:
            self.state.close()

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _interval(self) -> float:
        if self.budget is None:
            return 0.0
        rate = self.client._transport.pacer.rate
        return 0.0 if not rate else 1.0 / (rate * self.budget)


class _CountRequests(Hook):
    def __init__(self) -> None:
        self.count = 0
        self._local = threading.local()

    def active(self) -> _Active:
        return _Active(self._local)

    def on_request(self, call: Call) -> None:
        if getattr(self._local, "on", False):
            self.count += 1


def _view(record: dict[str, Any]) -> dict[str, Any]:
    """What a deleted property's event carries: its id and flat keys (not 497 values)."""
    return {k: v for k, v in record.items() if k != "field_values"}
