"""Serve an ASGI app (a webhook receiver) with uvicorn on a background thread.

For the demo, tests and benchmarks; in production run ``otc webhooks serve`` or
``otc serve``, or mount the app in your own server.
"""

from __future__ import annotations

from .._serving import BackgroundServer

__all__ = ["BackgroundServer"]
