"""Structured logs: one JSON object per line when asked, the API key always masked."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import IO, Any

from .._hooks import Call, Hook
from .._redact import get_logger, redact
from ..exceptions import MethodNotAllowedError, OpenToCloseAPIError

__all__ = ["CallLogHook", "JsonFormatter", "RedactingFormatter", "configure_logging"]

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_UPDATE_VERBS = ("PUT", "PATCH")


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    """``{"timestamp", "level", "logger", "message", ...extra fields, "exception"}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = _clean(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """A plain formatter whose output (tracebacks included) has the API key masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(
    level: int | str = "INFO",
    *,
    json_format: bool | None = None,
    stream: IO[str] | None = None,
    logger: str = "open_to_close",
) -> logging.Handler:
    """Send the SDK's logs to ``stream`` (stderr): JSON lines with ``json_format=True``
    (default: when ``OTC_LOG_FORMAT=json``), else ``time level logger: message``.

    Replaces handlers this function installed before, so calling it twice is harmless.
    """
    if json_format is None:
        json_format = os.environ.get("OTC_LOG_FORMAT", "").lower() == "json"
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler._otc_configured = True  # type: ignore[attr-defined]
    target = logging.getLogger(logger)
    target.handlers[:] = [
        h for h in target.handlers if not getattr(h, "_otc_configured", False)
    ] + [handler]
    target.setLevel(level)
    return handler


class CallLogHook(Hook):
    """Logs each call's outcome with fields (``method``, ``endpoint``, ``path``, ``status``,
    ``duration_ms``, ``attempts``, ``error_type``) for structured logs."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or get_logger("open_to_close.monitoring")

    def _fields(self, call: Call, elapsed: float) -> dict[str, Any]:
        return {
            "method": call.method,
            "endpoint": call.template,
            "path": call.path,
            "duration_ms": round(elapsed * 1000, 3),
            "attempts": call.attempt + 1,
        }

    def on_response(self, call: Call, status: int, elapsed: float) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            fields = self._fields(call, elapsed)
            self.logger.info(
                "API call successful: %s %s -> %d (%.1f ms)",
                call.method,
                call.template,
                status,
                fields["duration_ms"],
                extra={**fields, "status": status},
            )

    def on_error(self, call: Call, error: OpenToCloseAPIError, elapsed: float) -> None:
        fields = self._fields(call, elapsed)
        # An update refused with 405 whose Allow names the other verb is how the client
        # learns the verb (PUT, then PATCH on the live API): once per client, not a failure.
        level, outcome = logging.ERROR, "failed"
        if (
            isinstance(error, MethodNotAllowedError)
            and call.method in _UPDATE_VERBS
            and any(v in error.allowed for v in _UPDATE_VERBS if v != call.method)
        ):
            level, outcome = logging.INFO, "refused, the client follows Allow"
        self.logger.log(
            level,
            "API call %s: %s %s (%.1f ms) - %s: %s",
            outcome,
            call.method,
            call.template,
            fields["duration_ms"],
            type(error).__name__,
            error,
            extra={**fields, "status": error.status_code, "error_type": type(error).__name__},
        )
