"""Everything ``otc serve`` runs, built once from :class:`ServiceConfig`.

Every role (web, worker, scheduler) builds the same :class:`Components` from the same file,
so a worker process registers exactly the handlers the web process queues events for.
Engines are opened lazily by the parts that use them; nothing connects at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from secrets import token_hex
from typing import Any

from prometheus_client import CollectorRegistry

from ..client import OpenToCloseAPI
from ..config import build_settings
from ..exceptions import AuthenticationError, ConfigurationError
from .config import ServiceConfig
from .handlers import (
    INVALIDATING_EVENTS,
    PUBLISHED_EVENTS,
    CacheInvalidator,
    HandlerSet,
    RabbitPublisher,
    TaskCompletions,
    import_handler,
)


def make_client(config: ServiceConfig) -> OpenToCloseAPI:
    """The API client: a named environment, or the key from ``api.api_key_env``."""
    api = config.api
    options = api.client_options()
    if api.environment is not None:
        return OpenToCloseAPI.from_environment(api.environment, **options)
    try:
        settings = build_settings(
            os.environ.get(api.api_key_env), api.base_url, key_source=api.api_key_env, **options
        )
    except AuthenticationError as exc:
        raise ConfigurationError(f"api.api_key_env: {exc.message}") from None
    return OpenToCloseAPI(settings=settings)


def _any_set(names: list[str]) -> bool:
    return any(os.environ.get(name) for name in names)


@dataclass
class Components:
    """The service's parts. ``client`` and ``registry`` may be given (tests, the demo)."""

    config: ServiceConfig
    client: OpenToCloseAPI = field(default=None)  # type: ignore[assignment]
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    console: Any = field(default=None, init=False, repr=False)  # set by the web app

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = make_client(self.config)
        from ..monitoring import instrument

        instrument(self.client, self.registry)

    # -- parts, made on first use ----------------------------------------------------------

    @cached_property
    def queue(self) -> Any:
        from .. import queue as otc_queue

        queue_config = self.config.queue
        return otc_queue.connect(
            queue_config.url, visibility_timeout=queue_config.visibility_timeout
        )

    @cached_property
    def cache(self) -> Any:
        from ..cache import CachedOTCClient, backend_from_url

        url = self.config.cache.url
        backend = backend_from_url(
            None if url.startswith("memory") else url, prefix=self.config.cache.prefix
        )
        return CachedOTCClient(
            self.client, backend, self.config.cache.default_ttl, registry=self.registry
        )

    @cached_property
    def task_completions(self) -> TaskCompletions:
        return TaskCompletions(self.config.state.url)

    @cached_property
    def handler_set(self) -> HandlerSet:
        handlers = HandlerSet(self.registry)
        hooks = self.config.webhooks
        builtin = hooks.builtin
        if builtin.publish_to_rabbitmq:
            publisher = RabbitPublisher(builtin.publish_to_rabbitmq, builtin.rabbitmq_prefix)
            for event_type in PUBLISHED_EVENTS:
                handlers.add(event_type, "publish_to_rabbitmq", publisher)
        if builtin.invalidate_cache:
            invalidator = CacheInvalidator(self.cache)
            for event_type in INVALIDATING_EVENTS:
                handlers.add(event_type, "invalidate_cache", invalidator)
        if builtin.record_task_completions:
            handlers.add("task.completed", "record_task_completion", self.task_completions)
        for event_type, paths in hooks.handlers.items():
            for path in paths:
                handlers.add(event_type, path, import_handler(path))
        return handlers

    @cached_property
    def webhook_handler(self) -> Any:
        from ..webhooks import WebhookHandler, bind_queue

        hooks = self.config.webhooks
        if self.config.events.source == "poll" and not _any_set(hooks.secret_env):
            # Events come from the change feed only: a secret nobody knows keeps the
            # webhook route closed to every sender.
            secrets = [token_hex(32)]
        else:
            secrets = [secret.get() for secret in hooks.secrets()]
        handler = WebhookHandler(
            secrets, dedupe=hooks.dedupe_url or self.config.state.url, tolerance=hooks.tolerance
        )
        for event_type in self.handler_set.handlers:
            handler.register_handler(event_type, self.handler_set.composed(event_type))
        bind_queue(handler, self.queue)
        if self.journal is not None:
            from ..console.taps import bind_journal

            bind_journal(self.queue, self.journal)
        return handler

    @cached_property
    def journal(self) -> Any:
        """The event journal the console's Events page reads (None while it is off)."""
        from ..console import open_journal

        return open_journal(self.config)

    def event_queue(self, source: str) -> Any:
        """The queue events from ``source`` (``webhook``, ``feed``) go to, journaled."""
        if self.journal is None:
            return self.queue
        from ..console.taps import JournalingQueue

        return JournalingQueue(self.queue, self.journal, source)

    @cached_property
    def change_feed(self) -> Any:
        """The change feed of ``[events] source = "poll"``, on the service's state database."""
        from ..events import ChangeFeed

        events = self.config.events
        return ChangeFeed(
            self.client,
            self.webhook_handler,
            queue=self.event_queue("feed"),
            state=self.config.state.url,
            resources=events.resources,
            name=events.name,
            budget=events.budget,
            emit_existing=events.emit_existing,
        )

    def health_checks(self) -> list[Any]:
        from ..monitoring import default_checks

        return default_checks(
            self.client, state_db=self.config.state.url, queue=self.queue, cache=self.cache
        )

    def close(self) -> None:
        for name in ("console", "change_feed", "webhook_handler", "cache", "queue", "journal"):
            part = self.__dict__.get(name)
            if part is not None:
                part.close()
        self.client.close()
