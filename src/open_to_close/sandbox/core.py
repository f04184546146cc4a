"""One sandbox's state: settings, records, rate limits, faults and counters."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from os import PathLike

from .faults import FaultInjector, make_plan
from .limits import RateLimit, RateLimiter
from .samples import sample_properties
from .stats import Stats
from .store import ChangeListener, Store
from .webhooks import WebhookDispatcher


class SandboxCore:
    """What the HTTP layer serves from, and what :class:`SandboxServer` controls."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        webhook_secret: str | None = None,
        db: str | PathLike[str] | None = None,
        seed: int = 0,
        fault_rate: float = 0.0,
        latency_ms: float = 0,
        rate_limit: str | RateLimit | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("api_key must be a non-empty string")
        if seed < 0:
            raise ValueError(f"seed must be 0 or more, got {seed!r}")
        self.api_key = api_key
        self.api_key_bytes = api_key.encode()
        # Idempotency keys are scoped per API key; store a digest, never the key itself.
        self.key_scope = hashlib.sha256(self.api_key_bytes).hexdigest()[:16]
        self.webhook_secret = webhook_secret
        self.seed = seed
        self.limiter = RateLimiter(rate_limit)
        self.faults = FaultInjector(make_plan(rate=fault_rate, latency_ms=latency_ms), seed=seed)
        self.stats = Stats()
        self.store = Store(None if db is None else str(db))
        self.webhooks = WebhookDispatcher(webhook_secret)
        self.store.listeners.append(self.webhooks.on_change)
        if seed and not self.store.page("properties", 0, since="", limit=1, offset=0):
            self.add_samples(seed)

    @property
    def listeners(self) -> list[ChangeListener]:
        """Called with ``(event_type, record, previous)`` after every committed change."""
        return self.store.listeners

    def add_samples(self, count: int) -> None:
        for fields in sample_properties(count, seed=self.seed):
            self.store.create("properties", fields)

    def set_faults(
        self,
        rate: float = 0.0,
        statuses: Iterable[int] = (500, 502, 503),
        latency_ms: float = 0,
        after_commit: bool = False,
    ) -> None:
        self.faults.set(make_plan(rate, statuses, latency_ms, after_commit))

    def reset(self) -> None:
        """Empty the data, idempotency keys, rate-limit windows, counters and webhooks."""
        self.webhooks.reset()
        self.store.clear()
        self.limiter.reset()
        self.faults.reset()
        self.stats.reset()

    def close(self) -> None:
        self.webhooks.close()
        self.store.close()
