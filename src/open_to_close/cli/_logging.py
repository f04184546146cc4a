"""Logging for the ``otc`` command: readable lines on stderr, the API key always masked."""

from __future__ import annotations

import logging
import os

from rich.console import Console
from rich.logging import RichHandler

from .._redact import RedactingFilter, get_logger


def setup_logging(verbose: bool = False, *, json_lines: bool = False) -> None:
    """Send the SDK's log records to stderr: through Rich, or as JSON lines when asked
    (``--log-json`` or ``OTC_LOG_FORMAT=json``, for log shippers). DEBUG with ``verbose``."""
    level = logging.DEBUG if verbose else logging.WARNING
    if json_lines or os.environ.get("OTC_LOG_FORMAT", "").lower() == "json":
        from ..monitoring.logs import configure_logging

        configure_logging(level, json_format=True)
        get_logger("open_to_close").propagate = False
        return
    handler = RichHandler(
        console=Console(stderr=True),
        show_path=False,
        show_time=False,
        markup=False,
        rich_tracebacks=False,
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())  # every record it prints, whichever logger's
    logger = get_logger("open_to_close")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
