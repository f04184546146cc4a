"""The Prometheus metrics of the SDK, made once per registry.

Names and labels are the guide's. Every label value comes from a bounded set: ``endpoint``
is a route template (``/properties/{id}``), never a concrete path, so a scrape stays the
same size however many records the API holds.
"""

from __future__ import annotations

import threading
import weakref

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

__all__ = ["Metrics", "get_metrics"]


class Metrics:
    """The collectors, registered on one :class:`~prometheus_client.CollectorRegistry`.

    Use :func:`get_metrics` rather than building one: a registry refuses a name twice.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.api_requests = Counter(
            "otc_api_requests_total",
            "Open To Close API calls, by outcome (retries of one call count once)",
            ["method", "endpoint", "status"],
            registry=registry,
        )
        self.api_request_duration = Histogram(
            "otc_api_request_duration_seconds",
            "Open To Close API call duration, all attempts of the call included",
            ["method", "endpoint"],
            registry=registry,
        )
        self.api_errors = Counter(
            "otc_api_errors_total",
            "Open To Close API calls that failed for good, by error class",
            ["method", "endpoint", "error_type"],
            registry=registry,
        )
        self.api_retries = Counter(
            "otc_api_retries_total",
            "Attempts of Open To Close API calls that failed and were retried",
            ["method", "endpoint", "error_type"],
            registry=registry,
        )
        self.cache_hits = Counter(
            "otc_cache_hits_total",
            "Cache reads answered by the cache",
            ["cache_type"],
            registry=registry,
        )
        self.cache_misses = Counter(
            "otc_cache_misses_total",
            "Cache reads that went to the API",
            ["cache_type"],
            registry=registry,
        )
        self.cache_errors = Counter(
            "otc_cache_errors_total",
            "Cache operations that failed (unavailable: the backend could not be reached; "
            "malformed: a stored value was not ours and was ignored)",
            ["cache_type", "reason"],
            registry=registry,
        )


_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, Metrics] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def get_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    """The metrics on ``registry`` (default: prometheus_client's global one), made once."""
    registry = REGISTRY if registry is None else registry
    with _lock:
        metrics = _by_registry.get(registry)
        if metrics is None:
            metrics = _by_registry[registry] = Metrics(registry)
        return metrics
