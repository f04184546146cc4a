"""The one road every request takes.

:func:`_exchange` holds the whole life of a call (pacing, attempts, retries with backoff and
``Retry-After``, error mapping, hooks, logging) as a generator that does no I/O: it yields
either a number of seconds to sleep or the :class:`Call` to send, and is sent back the
:class:`Reply`. :class:`SyncTransport` drives it with httpx2 and ``time.sleep``;
:class:`AsyncTransport` with httpx2's async client or aiohttp and ``asyncio.sleep``. So the
rules exist once, whatever the backend.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Generator, Mapping
from typing import Any, Literal
from urllib.parse import urlencode

import httpx2

from . import _constants as C
from ._hooks import Call, Hook
from ._optional import require
from ._pacing import Pacer
from ._policy import (
    ambiguous_write,
    backoff_delay,
    decode_success,
    error_from_response,
    is_retryable,
    network_error,
    parse_retry_after,
)
from ._redact import get_logger
from ._version import __version__
from .config import ClientSettings
from .exceptions import OpenToCloseAPIError

logger = get_logger("open_to_close")

HttpBackend = Literal["httpx2", "aiohttp"]
USER_AGENT = f"open-to-close-python/{__version__}"


class Reply:
    """What one attempt got: an HTTP answer, or ``error`` when none came."""

    __slots__ = ("body", "error", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str] | None,
        body: bytes,
        error: OpenToCloseAPIError | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error


Step = Generator["float | Call", "Reply | None", Any]


def query_value(value: Any) -> str:
    """How a parameter is spelled in a query string (``True`` -> ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


class _Base:
    """State shared by both transports: settings, hooks, pacing, the call builder."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.hooks: list[Hook] = []
        self.pacer = Pacer(settings.rate_limit)
        # Learned from the server, per path template: the verb an update takes (a 405's
        # ``Allow``), and the most records a page of a list holds (its clamp on ``limit``).
        self.update_verbs: dict[str, str] = {}
        self.page_caps: dict[str, int] = {}
        self._base_url = settings.base_url
        # The query string is built here rather than by the HTTP library: it saves httpx2 a
        # second parse of every URL, and the key's encoding is done once.
        self._auth_query = urlencode({"api_token": settings.api_key.get()})
        self.default_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self._headers: dict[str, str] | None = None  # per request; None: the client's own

    def _adopt(self, http_client: object | None) -> dict[str, Any]:
        """Options for the pooled httpx2 client made here; a client passed in is used as it
        is, with our headers sent on each request instead."""
        self._owns_client = http_client is None
        if http_client is not None:
            self._headers = self.default_headers
        return {
            "headers": self.default_headers,
            "timeout": self.settings.timeout,
            "limits": httpx2.Limits(
                max_connections=C.MAX_CONNECTIONS, max_keepalive_connections=C.MAX_KEEPALIVE
            ),
        }

    def call(
        self,
        method: str,
        template: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Call:
        """A call; creates (POST) get an idempotency key that all their retries reuse."""
        key = uuid.uuid4().hex if method == "POST" else None
        query = {k: query_value(v) for k, v in params.items() if v is not None} if params else None
        return Call(method, template, path, query, json, key)

    def _prepare(self, call: Call) -> tuple[str, dict[str, str] | None]:
        """The full URL (query and key included) and the headers of one attempt."""
        if call.params:
            url = f"{self._base_url}{call.path}?{urlencode(call.params)}&{self._auth_query}"
        else:
            url = f"{self._base_url}{call.path}?{self._auth_query}"
        headers = self._headers
        if call.idempotency_key is not None:
            headers = {**(headers or {}), "Idempotency-Key": call.idempotency_key}
        return url, headers

    def _exchange(self, call: Call) -> Step:
        settings, hooks, pacer = self.settings, self.hooks, self.pacer
        for hook in hooks:
            hook.on_request(call)
        started = time.perf_counter()
        while True:
            ticket = None
            while (wait := pacer.reserve(settings.max_retry_delay, ticket)) != 0:
                if wait < 0:
                    ticket, wait = pacer.generation, -wait
                yield wait
            reply = yield call
            assert reply is not None
            pacer.release(reply.headers, reply.status)
            if reply.error is None and 200 <= reply.status < 300:
                result = decode_success(call, reply.status, reply.body)
                if hooks:
                    elapsed = time.perf_counter() - started
                    for hook in hooks:
                        hook.on_response(call, reply.status, elapsed)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s -> %d (attempt %d)", call.label, reply.status, call.attempt + 1
                    )
                return result
            error = reply.error or error_from_response(
                call, reply.status, reply.headers or {}, reply.body
            )
            retry_after = (
                parse_retry_after(reply.headers.get("retry-after")) if reply.headers else None
            )
            delay = self._retry_delay(call, error, retry_after)
            if delay is None:
                error = ambiguous_write(call, error, settings.retry_posts)
                elapsed = time.perf_counter() - started
                for hook in hooks:
                    hook.on_error(call, error, elapsed)
                logger.info("API call failed: %s", error)
                raise error
            for hook in hooks:
                hook.on_retry(call, error, delay)
            logger.warning(
                "%s: %s%s; retry %d of %d in %.2fs",
                call.label,
                type(error).__name__,
                f" {error.status_code}" if error.status_code else "",
                call.attempt + 1,
                settings.max_retries,
                delay,
            )
            if delay > 0:
                yield delay
            call.attempt += 1

    def _interrupted(self, call: Call) -> None:
        """A send cut short (cancelled, Ctrl-C): it may have reached the server."""
        self.pacer.release(None, 0)  # the request is no longer out
        for hook in self.hooks:
            hook.on_cancel(call)

    def _retry_delay(
        self, call: Call, error: OpenToCloseAPIError, retry_after: float | None
    ) -> float | None:
        """Seconds to wait before retrying, or None to give up (and raise ``error``)."""
        settings = self.settings
        if retry_after is not None and retry_after > settings.max_retry_delay:
            return None  # the server asks for longer than we may wait: raise at once
        if call.attempt >= settings.max_retries or not is_retryable(
            call, error, settings.retry_posts
        ):
            return None
        if retry_after is not None:
            return retry_after
        return backoff_delay(call.attempt, settings.retry_backoff, settings.max_retry_delay)


_UNSENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)


def _unsent(exc: Exception) -> bool:
    """Whether httpx2 failed before the request could reach the server."""
    return isinstance(exc, _UNSENT)


class SyncTransport(_Base):
    """Blocking transport on one pooled ``httpx2.Client``."""

    def __init__(self, settings: ClientSettings, http_client: httpx2.Client | None = None) -> None:
        super().__init__(settings)
        options = self._adopt(http_client)
        self._http = http_client or httpx2.Client(**options)

    def request(
        self,
        method: str,
        template: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        steps = self._exchange(self.call(method, template, path, params, json))
        step = next(steps)
        while True:
            if isinstance(step, Call):
                try:
                    reply = self._send(step)
                except BaseException:
                    self._interrupted(step)
                    raise
            else:
                time.sleep(step)
                reply = None
            try:
                step = steps.send(reply)
            except StopIteration as done:
                return done.value

    def _send(self, call: Call) -> Reply:
        url, headers = self._prepare(call)
        try:
            response = self._http.request(call.method, url, json=call.json, headers=headers)
        except httpx2.TransportError as exc:
            return Reply(0, None, b"", network_error(call, exc, sent=not _unsent(exc)))
        return Reply(response.status_code, response.headers, response.content)

    def close(self) -> None:
        if self._owns_client:
            self._http.close()


class AsyncTransport(_Base):
    """Non-blocking transport: httpx2's ``AsyncClient`` (default) or aiohttp (faster)."""

    def __init__(
        self,
        settings: ClientSettings,
        http_backend: HttpBackend = "httpx2",
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        super().__init__(settings)
        if http_backend not in ("httpx2", "aiohttp"):
            raise ValueError(f"http_backend must be 'httpx2' or 'aiohttp'; got {http_backend!r}")
        self.backend = http_backend
        options = self._adopt(http_client)
        self._http = http_client
        self._session: Any = None  # aiohttp.ClientSession, made on first use inside a loop
        if http_backend == "aiohttp":
            self._aiohttp = require("aiohttp", "aiohttp", "http_backend='aiohttp'")
        elif http_client is None:
            self._http = httpx2.AsyncClient(**options)

    async def request(
        self,
        method: str,
        template: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        steps = self._exchange(self.call(method, template, path, params, json))
        send = self._send_aiohttp if self._http is None else self._send_httpx
        step = next(steps)
        while True:
            if isinstance(step, Call):
                try:
                    reply = await send(step)
                except BaseException:
                    self._interrupted(step)
                    raise
            else:
                await asyncio.sleep(step)
                reply = None
            try:
                step = steps.send(reply)
            except StopIteration as done:
                return done.value

    async def _send_httpx(self, call: Call) -> Reply:
        url, headers = self._prepare(call)
        assert self._http is not None
        try:
            response = await self._http.request(call.method, url, json=call.json, headers=headers)
        except httpx2.TransportError as exc:
            return Reply(0, None, b"", network_error(call, exc, sent=not _unsent(exc)))
        return Reply(response.status_code, response.headers, response.content)

    async def _send_aiohttp(self, call: Call) -> Reply:
        aiohttp = self._aiohttp
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self.default_headers,
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                connector=aiohttp.TCPConnector(limit=C.MAX_CONNECTIONS),
            )
        url, headers = self._prepare(call)
        try:
            async with self._session.request(
                call.method, url, json=call.json, headers=headers
            ) as response:
                body = await response.read()
                return Reply(response.status, response.headers, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            unsent = isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
            return Reply(0, None, b"", network_error(call, exc, sent=not unsent))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._http is not None and self._owns_client:
            await self._http.aclose()


__all__ = ["AsyncTransport", "HttpBackend", "Reply", "SyncTransport", "parse_retry_after"]
