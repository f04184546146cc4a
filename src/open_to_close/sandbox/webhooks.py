"""Signed webhooks from the sandbox: subscriptions, events, background delivery, a log.

The store announces every committed change; :func:`events_for` turns it into the
contract's events (``property.status_changed`` beside ``property.updated`` when the
status moves, ``task.completed`` beside ``task.updated``, ...), and
:class:`WebhookDispatcher` queues one delivery per matching subscription. Delivery
threads post them, signed with both schemes afresh on every attempt, and retry a failure
(non-2xx, timeout, refused connection) up to ``max_retries`` more times, waiting
``retry_backoff`` seconds and doubling. Queuing is all the API request does, so a slow or
dead subscriber never slows the API.
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

from .._redact import get_logger
from .._version import __version__
from ..webhooks.signatures import sign_headers
from .events import Flatten, check_events, events_for

log = get_logger(__name__)

URL_PATTERN = r"^https?://"  # what the URL must start with; a bad host fails delivery

DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF = 0.5
DEFAULT_TIMEOUT = 5.0
MAX_RETRIES_CAP = 20
MAX_SECONDS = 60.0  # the most a retry_backoff or a timeout may be
LOG_SIZE = 50_000  # deliveries kept in the log; the oldest go first
_THREADS = 4


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(eq=False)
class Subscription:
    id: int
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    max_retries: int
    retry_backoff: float
    timeout: float
    created_at: str = field(default_factory=_now)

    def wants(self, event_type: str) -> bool:
        prefix = event_type.split(".")[0] + ".*"
        return any(e in ("*", prefix, event_type) for e in self.events)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "max_retries": self.max_retries,
            "retry_backoff": self.retry_backoff,
            "timeout": self.timeout,
            "created_at": self.created_at,
        }


@dataclass(eq=False)
class Delivery:
    id: str
    subscription: Subscription
    event_id: str
    event_type: str
    body: bytes
    generation: int
    created_at: str = field(default_factory=_now)
    status: str = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    delivered_at: str | None = None

    def public(self) -> dict[str, Any]:
        last = self.attempts[-1] if self.attempts else {}
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subscription_id": self.subscription.id,
            "url": self.subscription.url,
            "status": self.status,
            "attempts": len(self.attempts),
            "response_status": last.get("response_status"),
            "error": last.get("error"),
            "created_at": self.created_at,
            "delivered_at": self.delivered_at,
            "payload": json.loads(self.body),
            "body": self.body.decode(),
            "headers": dict(self.headers),
            "history": [dict(a) for a in self.attempts],
        }


class WebhookDispatcher:
    """Subscriptions, the delivery queue and its threads, and the delivery log."""

    def __init__(self, secret: str | None = None, flatten: Flatten | None = None) -> None:
        self.secret = secret
        self.flatten = flatten
        self._cond = threading.Condition()
        self._subs: dict[int, Subscription] = {}
        self._log: deque[Delivery] = deque(maxlen=LOG_SIZE)
        self._due: list[tuple[float, int, Delivery]] = []
        self._ids = itertools.count(1)
        self._seq = itertools.count()
        self._generation = 0
        self._in_flight = 0
        self._threads: list[threading.Thread] = []
        self._closing = False
        self._http: httpx2.Client | None = None

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(
        self,
        url: str,
        events: Any = ("*",),
        *,
        secret: str | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Add a subscriber; its public view, plus ``secret`` when one was generated."""
        if not isinstance(url, str) or re.search(URL_PATTERN, url) is None:
            raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
        chosen = check_events(events)
        retries: Any = max_retries
        if isinstance(retries, float) and retries.is_integer():
            max_retries = int(retries)  # JSON's 3.0 is an integer too
        if (
            isinstance(max_retries, bool)
            or not isinstance(max_retries, int)
            or not 0 <= max_retries <= MAX_RETRIES_CAP
        ):
            raise ValueError(f"max_retries must be a whole number from 0 to {MAX_RETRIES_CAP}")
        for name, value in (("retry_backoff", retry_backoff), ("timeout", timeout)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= MAX_SECONDS
            ):
                raise ValueError(f"{name} must be a number of seconds from 0 to {MAX_SECONDS:g}")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ValueError("secret must be a non-empty string")
        generated = secret is None and not self.secret
        key = secret or self.secret or "whsec_" + secrets.token_urlsafe(24)
        with self._cond:
            sub = Subscription(
                next(self._ids),
                url,
                chosen,
                key,
                max_retries,
                float(retry_backoff),
                float(timeout) or DEFAULT_TIMEOUT,
            )
            self._subs[sub.id] = sub
        out = sub.public()
        if generated:
            out["secret"] = key
        return out

    def unsubscribe(self, subscription_id: int) -> bool:
        with self._cond:
            return self._subs.pop(subscription_id, None) is not None

    def subscription(self, subscription_id: int) -> dict[str, Any] | None:
        sub = self._subs.get(subscription_id)
        return None if sub is None else sub.public()

    def subscriptions(self) -> list[dict[str, Any]]:
        with self._cond:
            return [sub.public() for sub in self._subs.values()]

    # -- events --------------------------------------------------------------------------

    def on_change(
        self, change: str, record: dict[str, Any], previous: dict[str, Any] | None
    ) -> None:
        """The store listener: queue a delivery per event and subscriber; never blocks."""
        if not self._subs:
            return
        found = (
            events_for(change, record, previous)
            if self.flatten is None
            else events_for(change, record, previous, self.flatten)
        )
        for event_type, fields in found:
            event_id = "evt_" + secrets.token_hex(12)
            body = json.dumps(
                {"id": event_id, "event_type": event_type, "created_at": _now(), **fields},
                separators=(",", ":"),
            ).encode()
            with self._cond:
                for sub in list(self._subs.values()):
                    if sub.wants(event_type):
                        delivery = Delivery(
                            "dlv_" + secrets.token_hex(8),
                            sub,
                            event_id,
                            event_type,
                            body,
                            self._generation,
                        )
                        self._log.append(delivery)
                        self._push(delivery, 0.0)
        self._start()

    def _push(self, delivery: Delivery, delay: float) -> None:
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._seq), delivery))
        self._cond.notify()

    # -- the log -------------------------------------------------------------------------

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [d.public() for d in self._log]

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is pending (delivered or failed for good); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._due or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def reset(self) -> None:
        """Forget subscriptions, queued deliveries and the log; ids start again at 1."""
        with self._cond:
            self._subs.clear()
            self._log.clear()
            self._due.clear()
            self._ids = itertools.count(1)
            self._generation += 1  # attempts in flight now are neither logged nor retried
            self._cond.notify_all()

    # -- delivery threads ----------------------------------------------------------------

    def _start(self) -> None:
        with self._cond:
            if self._threads or self._closing:
                return
            self._http = httpx2.Client(
                headers={"User-Agent": f"open-to-close-sandbox/{__version__}"},
                limits=httpx2.Limits(max_connections=_THREADS * 2),
                follow_redirects=False,
            )
            self._threads = [
                threading.Thread(target=self._work, name=f"otc-sandbox-webhooks-{n}", daemon=True)
                for n in range(_THREADS)
            ]
        for thread in self._threads:
            thread.start()

    def _next(self) -> Delivery | None:
        with self._cond:
            while not self._closing:
                if self._due:
                    due, _, delivery = self._due[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._due)
                        self._in_flight += 1
                        return delivery
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
        return None

    def _work(self) -> None:
        while (delivery := self._next()) is not None:
            try:
                self._attempt(delivery)
            except Exception:  # a bug here must not kill the thread
                log.exception("webhook delivery %s failed unexpectedly", delivery.id)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        sub = delivery.subscription
        headers = sign_headers(sub.secret, delivery.body, delivery.event_id)
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        http = self._http
        try:
            if http is None:
                raise RuntimeError("the sandbox is shutting down")
            response = http.post(
                sub.url, content=delivery.body, headers=headers, timeout=sub.timeout
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempt: dict[str, Any] = {
            "at": _now(),
            "response_status": status,
            "error": error,
            "duration_ms": round((time.monotonic() - started) * 1000, 2),
        }
        with self._cond:
            if delivery.generation != self._generation:
                return
            delivery.attempts.append(attempt)
            delivery.headers = headers
            if error is None:
                delivery.status, delivery.delivered_at = "delivered", attempt["at"]
            elif len(delivery.attempts) <= sub.max_retries and sub.id in self._subs:
                self._push(delivery, sub.retry_backoff * 2 ** (len(delivery.attempts) - 1))
            else:
                delivery.status = "failed"
                log.warning("webhook %s to %s failed for good: %s", delivery.id, sub.url, error)

    def close(self) -> None:
        """Stop the delivery threads (queued deliveries are dropped); restartable."""
        with self._cond:
            self._closing = True
            self._due.clear()
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(DEFAULT_TIMEOUT + 1)
        with self._cond:
            self._closing = False
            http, self._http = self._http, None
        if http is not None:
            http.close()
