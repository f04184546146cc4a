"""``instrument(client)``: Prometheus metrics for every call, from the transport's hooks."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from .._hooks import Call, Hook
from ..client import AsyncOpenToCloseAPI, OpenToCloseAPI
from ..exceptions import OpenToCloseAPIError
from .metrics import Metrics, get_metrics

__all__ = ["MetricsHook", "instrument"]


class MetricsHook(Hook):
    """Counts calls (once per call, however many attempts), their durations, failures
    and retries. Labels: the HTTP method, the route template, the error class."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        # The labelled children of each route, resolved once: labels() costs a lock and a
        # dict lookup per metric, which is most of a hook's time.
        self._routes: dict[tuple[str, str], tuple[Any, Any, Any]] = {}

    def _route(self, call: Call) -> tuple[Any, Any, Any]:
        key = (call.method, call.template)
        children = self._routes.get(key)
        if children is None:
            m = self.metrics
            children = self._routes[key] = (
                m.api_requests.labels(call.method, call.template, "success"),
                m.api_requests.labels(call.method, call.template, "error"),
                m.api_request_duration.labels(call.method, call.template),
            )
        return children

    def on_response(self, call: Call, status: int, elapsed: float) -> None:
        success, _, duration = self._route(call)
        success.inc()
        duration.observe(elapsed)

    def on_error(self, call: Call, error: OpenToCloseAPIError, elapsed: float) -> None:
        _, failure, duration = self._route(call)
        failure.inc()
        duration.observe(elapsed)
        self.metrics.api_errors.labels(call.method, call.template, type(error).__name__).inc()

    def on_retry(self, call: Call, error: OpenToCloseAPIError, delay: float) -> None:
        self.metrics.api_retries.labels(call.method, call.template, type(error).__name__).inc()


def instrument(
    client: OpenToCloseAPI | AsyncOpenToCloseAPI, registry: CollectorRegistry | None = None
) -> MetricsHook:
    """Record every call of ``client`` on ``registry`` (default: the global registry).

    Calling it again for the same client and registry returns the hook already attached,
    so nothing is counted twice and no metric is registered twice.
    """
    metrics = get_metrics(registry)
    for hook in client.hooks:
        if isinstance(hook, MetricsHook) and hook.metrics is metrics:
            return hook
    hook = MetricsHook(metrics)
    client.add_hook(hook)
    return hook
