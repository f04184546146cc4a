"""Monitoring: Prometheus metrics from the transport's hooks, health checks, JSON logs.

>>> from open_to_close.monitoring import instrument, create_monitoring_app
>>> instrument(client)  # every call counted and timed, by route template  # doctest: +SKIP
>>> app = create_monitoring_app(client)  # GET /health, GET /metrics  # doctest: +SKIP

See ``docs/monitoring.md``.
"""

from .asgi import create_monitoring_app, default_checks, metrics_text, monitoring_routes
from .health import (
    HealthCheck,
    api_check,
    cache_check,
    database_check,
    queue_check,
    run_checks,
)
from .instrument import MetricsHook, instrument
from .logs import CallLogHook, JsonFormatter, RedactingFormatter, configure_logging
from .metrics import Metrics, get_metrics
from .monitored import MonitoredOTCClient

__all__ = [
    "CallLogHook",
    "HealthCheck",
    "JsonFormatter",
    "Metrics",
    "MetricsHook",
    "MonitoredOTCClient",
    "RedactingFormatter",
    "api_check",
    "cache_check",
    "configure_logging",
    "create_monitoring_app",
    "database_check",
    "default_checks",
    "get_metrics",
    "instrument",
    "metrics_text",
    "monitoring_routes",
    "queue_check",
    "run_checks",
]
