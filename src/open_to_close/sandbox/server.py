"""``SandboxServer``: the sandbox served by uvicorn on a background thread."""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from types import TracebackType
from typing import Any

from starlette.applications import Starlette

from .._serving import BackgroundServer
from .app import PREFIX, build_app
from .core import SandboxCore
from .limits import RateLimit
from .webhooks import DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT


class SandboxServer:
    """A local Open To Close API for tests, demos and benchmarks.

    ::

        with SandboxServer(api_key="k", seed=3) as sb:
            client = OpenToCloseAPI(api_key=sb.api_key, base_url=sb.base_url)

    By default it behaves as the live API (field-based properties, no idempotency keys,
    429 without rate-limit headers); ``idempotency_keys=True`` and
    ``rate_limit_headers=True`` turn those extensions on.

    ``stop()`` (or leaving the ``with`` block) stops serving and closes the database; an
    in-memory database starts empty if the server is started again.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
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
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port!r}")
        self.host = host
        self.port = port
        self._options: dict[str, Any] = {
            "api_key": api_key,
            "webhook_secret": webhook_secret,
            "db": db,
            "seed": seed,
            "fault_rate": fault_rate,
            "latency_ms": latency_ms,
            "rate_limit": rate_limit,
            "idempotency_keys": idempotency_keys,
            "rate_limit_headers": rate_limit_headers,
        }
        self.core = SandboxCore(**self._options)
        self.app: Starlette = build_app(self.core)
        self._http: BackgroundServer | None = None

    # -- what clients need ---------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.core.api_key

    @property
    def webhook_secret(self) -> str | None:
        return self.core.webhook_secret

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server (no ``/v1``)."""
        if self._http is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._http.url

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:54321/v1``."""
        return self.url + PREFIX

    # -- controls ------------------------------------------------------------------------

    def set_faults(
        self,
        rate: float = 0.0,
        statuses: Iterable[int] = (500, 502, 503),
        latency_ms: float = 0,
        after_commit: bool = False,
    ) -> None:
        """Answer ``rate`` of requests with one of ``statuses``, and every answer
        ``latency_ms`` late; ``after_commit`` does the write first (then fails, or answers
        late), so the client never hears of a write that was made."""
        self.core.set_faults(rate, statuses, latency_ms, after_commit)

    def set_rate_limit(self, spec: str | RateLimit | None) -> None:
        """``"N/s"``, ``"N/m"`` or None (no limit); windows restart empty."""
        self.core.limiter.set(spec)

    def stats(self) -> dict[str, Any]:
        """``{"total", "requests": {"GET /properties/{id}": n, ...}, "rate_limited", "faults"}``."""
        return self.core.stats.snapshot()

    def reset(self) -> None:
        """Empty the data, idempotency keys, rate-limit windows, stats, webhook
        subscriptions and the delivery log; the default team comes back and the
        account's property fields (their ids) stay."""
        self.core.reset()

    # -- webhooks ------------------------------------------------------------------------

    def subscribe(
        self,
        url: str,
        events: Iterable[str] = ("*",),
        *,
        secret: str | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Send signed webhooks for ``events`` (``"*"``, ``"property.*"``, exact types) to ``url``.

        Deliveries are signed with ``secret`` (default: the sandbox's ``webhook_secret``; if
        neither is set, one is generated and returned as ``"secret"``). A failed delivery
        is retried up to ``max_retries`` more times, ``retry_backoff`` seconds apart and
        doubling; ``timeout`` bounds each attempt.
        """
        return self.core.webhooks.subscribe(
            url,
            tuple(events),
            secret=secret,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            timeout=timeout,
        )

    def unsubscribe(self, subscription_id: int) -> bool:
        """Stop a subscription (its pending retries stop too); False if there was none."""
        return self.core.webhooks.unsubscribe(subscription_id)

    def deliveries(self) -> list[dict[str, Any]]:
        """The webhook delivery log, oldest first: ``event_id``, ``event_type``, ``url``,
        ``status`` (``pending``/``delivered``/``failed``), ``attempts``, ``payload``,
        ``headers`` and ``body`` of the last attempt, ``history``, ..."""
        return self.core.webhooks.deliveries()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is pending; False if ``timeout`` passed first."""
        return self.core.webhooks.wait(timeout)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._http is not None:
            return self
        self.core.store.open()
        http = BackgroundServer(self.app, host=self.host, port=self.port, name="otc-sandbox")
        try:
            http.start()
        except RuntimeError:
            self.core.close()
            raise RuntimeError("the sandbox server failed to start") from None
        self._http = http
        return self

    def stop(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            http.stop()
        self.core.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._http is not None else "stopped"
        return f"<SandboxServer {where}>"
