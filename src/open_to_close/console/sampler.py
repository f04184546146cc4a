"""Queue depth and API requests over the last hour, for the overview's charts.

Counters only say "so far"; a chart needs "when". A daemon thread, started by the first
console page, reads the queue's counts and the client's request counter (the
``otc_api_requests_total`` the service already keeps) every :data:`INTERVAL` seconds into
a ring buffer of the last hour. It lives in the web process: a restart starts it afresh.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .._redact import get_logger

log = get_logger(__name__)

INTERVAL = 15.0  # seconds between samples
KEPT = 240  # samples: one hour


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    pending: int | None
    dead: int | None
    requests: float  # the client's requests so far (a counter)


def requests_so_far(registry: Any) -> float:
    """The sum of ``otc_api_requests_total`` over every label."""
    total = 0.0
    for metric in registry.collect():
        if metric.name == "otc_api_requests":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


def rate_limit(client: Any) -> float | None:
    """Requests per minute the client may make: its pace, a header's limit, or the
    setting; None when nothing is known."""
    pacer = getattr(getattr(client, "_transport", None), "pacer", None)
    rate = getattr(pacer, "rate", None) or getattr(client.settings, "rate_limit", None)
    if rate:
        return float(rate) * 60.0
    limit = getattr(pacer, "header_limit", None)
    return float(limit) if limit else None


class Sampler:
    def __init__(self, components: Any, interval: float = INTERVAL) -> None:
        self.components = components
        self.interval = interval
        self.samples: deque[Sample] = deque(maxlen=KEPT)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._loop, name="otc-console-sampler", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample(keep=True)
            self._stop.wait(self.interval)

    def sample(self, keep: bool = False) -> Sample:
        """The counts now (``keep``: also into the ring buffer, as the thread does)."""
        pending = dead = None
        try:
            stats = self.components.queue.stats()
            pending, dead = int(stats.get("pending", 0)), int(stats.get("dead", 0))
        except Exception as exc:  # a queue that is down leaves a gap, not a dead thread
            log.debug("console sampler: queue stats failed: %s", exc)
        found = Sample(time.time(), pending, dead, requests_so_far(self.components.registry))
        if keep:
            self.samples.append(found)
        return found

    def recent_requests(self) -> tuple[float, float]:
        """``(requests, seconds)``: requests made over about the last minute, and the
        span they were counted over (shorter while the process is young)."""
        now, so_far = time.time(), requests_so_far(self.components.registry)
        window = [s for s in self.samples if s.at >= now - 60.0 - self.interval]
        if not window:
            return 0.0, 0.0
        return so_far - window[0].requests, now - window[0].at

    def stop(self) -> None:
        self._stop.set()
