"""What a request is, and the hooks that watch requests go by (metrics, logging, caches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .exceptions import OpenToCloseAPIError


@dataclass(slots=True)
class Call:
    """One logical API call; its retries share it (and its idempotency key)."""

    method: str
    template: str  # the route: ``/properties/{id}`` (a bounded metrics label)
    path: str  # the concrete path: ``/properties/12``
    params: dict[str, Any] | None = None
    json: Any = None
    idempotency_key: str | None = None
    attempt: int = 0  # 0 for the first try, n for the n-th retry
    extras: dict[str, Any] = field(default_factory=dict)  # scratch space for hooks

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class Hook:
    """Base class of transport hooks: override what you need; every method is a no-op.

    Hooks run on the calling thread (or task) and must be quick; an exception in a hook
    propagates to the caller. ``elapsed`` is in seconds, over all attempts of the call.
    """

    def on_request(self, call: Call) -> None:
        """Before the first attempt of a call."""

    def on_retry(self, call: Call, error: OpenToCloseAPIError, delay: float) -> None:
        """An attempt failed with ``error``; the call is retried after ``delay`` seconds."""

    def on_response(self, call: Call, status: int, elapsed: float) -> None:
        """The call succeeded with ``status``."""

    def on_error(self, call: Call, error: OpenToCloseAPIError, elapsed: float) -> None:
        """The call failed for good with ``error`` (raised to the caller right after)."""

    def on_cancel(self, call: Call) -> None:
        """The call was interrupted while a request was out (a task cancelled, e.g. by a
        timeout, or Ctrl-C): the server may have acted on it, and no answer will come."""
