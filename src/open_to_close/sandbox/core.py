"""One sandbox's state: settings, records, rate limits, faults and counters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from os import PathLike
from typing import Any

from .._model.codec import PropertyCodec
from .account import (
    TIME_ZONE_NAMES,
    Account,
    default_teams,
    draw_property_fields,
    owner_fields,
    property_builder,
)
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
        idempotency_keys: bool = False,
        rate_limit_headers: bool = False,
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
        # Extensions the live API is not known to have (LIVE_API.md); off by default.
        self.idempotency_keys = bool(idempotency_keys)
        self.rate_limit_headers = bool(rate_limit_headers)
        self.limiter = RateLimiter(rate_limit)
        self.faults = FaultInjector(make_plan(rate=fault_rate, latency_ms=latency_ms), seed=seed)
        self.stats = Stats()
        self.store = Store(None if db is None else str(db))
        self.account = self._account()
        self.codec = PropertyCodec(self.account.table)
        self.webhooks = WebhookDispatcher(webhook_secret, flatten=self.codec.flatten)
        self.store.listeners.append(self.webhooks.on_change)
        if not self.store.page("teams", 0, since="", limit=1, offset=0):
            self.add_default_teams()
        if seed and not self.store.page("properties", 0, since="", limit=1, offset=0):
            self.add_samples(seed)

    def _account(self) -> Account:
        """The account kept in the database; drawn from ``seed`` (and kept) on first use."""
        stored = self.store.meta("property_fields")
        if stored is not None:
            return Account(json.loads(stored))
        answer = draw_property_fields(self.seed)
        self.store.set_meta("account_seed", str(self.seed))
        self.store.set_meta("property_fields", json.dumps(answer))
        return Account(answer)

    @property
    def listeners(self) -> list[ChangeListener]:
        """Called with ``(event_type, record, previous)`` after every committed change."""
        return self.store.listeners

    def add_default_teams(self) -> None:
        seed = int(self.store.meta("account_seed") or self.seed)
        for team in default_teams(seed):
            self.store.create("teams", team)

    def owner_of(self, member_id: Any) -> dict[str, Any] | None:
        """The team fields a property made by team member ``member_id`` gets, or None."""
        for raw in self.store.scan("teams", 0, since=""):
            team = json.loads(raw)
            for member in team.get("team_members") or ():
                if isinstance(member, dict) and member.get("id") == member_id:
                    return owner_fields(team, member)
        return None

    def first_member(self) -> Any:
        """The id of the first member of the first team (what P1 and P2 pick)."""
        for raw in self.store.scan("teams", 0, since=""):
            members = json.loads(raw).get("team_members") or ()
            if members:
                return members[0]["id"]
        return None

    def add_samples(self, count: int) -> None:
        """``count`` sample properties, field-based, the same for the same ``seed``."""
        member = self.first_member()
        owner = self.owner_of(member) or {}
        account = self.account
        for values in sample_properties(count, account.table, seed=self.seed):
            by_position = {account.by_key[key].position: value for key, value in values.items()}
            build = property_builder(account, by_position, TIME_ZONE_NAMES[1], owner)
            self.store.insert("properties", build)

    def set_faults(
        self,
        rate: float = 0.0,
        statuses: Iterable[int] = (500, 502, 503),
        latency_ms: float = 0,
        after_commit: bool = False,
    ) -> None:
        self.faults.set(make_plan(rate, statuses, latency_ms, after_commit))

    def reset(self) -> None:
        """Empty the data, idempotency keys, rate-limit windows, counters and webhooks;
        the default team comes back, and the account's fields stay as they are."""
        self.webhooks.reset()
        self.store.clear()
        self.add_default_teams()
        self.limiter.reset()
        self.faults.reset()
        self.stats.reset()

    def close(self) -> None:
        self.webhooks.close()
        self.store.close()
