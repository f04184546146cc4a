"""A local, stateful twin of the Open To Close API, for tests, demos and benchmarks.

``SandboxServer`` serves it over real HTTP on a background thread; ``create_app`` gives
the bare ASGI app (for ``httpx2.ASGITransport`` or any ASGI server). Run it from a shell
with ``otc sandbox``.
"""

from __future__ import annotations

from .app import create_app
from .limits import RateLimit, parse_rate_limit
from .server import SandboxServer

__all__ = ["RateLimit", "SandboxServer", "create_app", "parse_rate_limit"]
