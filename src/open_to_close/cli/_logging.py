"""Logging for the ``otc`` command: readable lines on stderr, the API key always masked."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


def setup_logging(verbose: bool = False) -> None:
    """Send the SDK's log records to stderr through Rich (DEBUG with ``verbose``)."""
    handler = RichHandler(
        console=Console(stderr=True),
        show_path=False,
        show_time=False,
        markup=False,
        rich_tracebacks=False,
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("open_to_close")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
