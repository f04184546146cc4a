"""The per-route ASGI wrapper: counts, latency, auth, rate limit, faults, then the handler.

A tight wrapper per route rather than middleware: each route knows its own template (the
key of ``stats()``) and the hot path does no routing, no Request object and no extra
ASGI hop.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from .core import SandboxCore
from .handlers import Handler
from .wire import (
    ApiError,
    Call,
    ClientGone,
    Receive,
    Reply,
    Scope,
    Send,
    error_reply,
    read_body,
    send_reply,
)

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_UNAUTHORIZED = error_reply(
    401, "Missing or invalid API key: pass it as the api_token query parameter."
)
_FAULT_BODY = b'{"message": "injected fault"}'


def authenticate(scope: Scope, expected: bytes) -> bool:
    query: bytes = scope["query_string"]
    if b"api_token=" in query:
        for part in query.split(b"&"):
            if part.startswith(b"api_token=") and hmac.compare_digest(
                unquote_to_bytes(part[10:].replace(b"+", b" ")), expected
            ):
                return True
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return hmac.compare_digest(value[7:].strip(), expected)
    return False


class Endpoint:
    """One route template: dispatches by method to its handlers behind the sandbox's gate.

    ``public`` routes (the OpenAPI document) skip auth, rate limiting and faults.
    ``fallback`` answers 404 for any method, after auth: an unknown path under ``/v1``.
    """

    def __init__(
        self,
        core: SandboxCore,
        template: str,
        handlers: Mapping[str, Handler],
        *,
        public: bool = False,
        fallback: bool = False,
    ) -> None:
        self.core = core
        self.template = template
        self.handlers = dict(handlers)
        self.public = public
        self.fallback = fallback
        self.keys = {method: f"{method} {template}" for method in handlers}
        allow = ", ".join(handlers).encode()
        self._not_allowed = error_reply(
            405, f"Method not allowed; use {allow.decode()}.", headers=((b"allow", allow),)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        core = self.core
        method: str = scope["method"]
        core.stats.count(self.keys.get(method) or f"{method} {self.template}")
        plan = core.faults.plan
        # With after_commit, the latency comes after the write: a slow answer to a write
        # already made (what a client that gives up waiting must cope with).
        if plan.latency_ms and not plan.after_commit:
            await asyncio.sleep(plan.latency_ms / 1000)
        limits: list[tuple[bytes, bytes]] = []
        if not self.public:
            if not authenticate(scope, core.api_key_bytes):
                return await send_reply(send, _UNAUTHORIZED)
            verdict = core.limiter.check(core.key_scope)
            if verdict is not None:
                # The live API sends no X-RateLimit-* header and no Retry-After; the
                # sandbox does only with rate_limit_headers=True.
                if core.rate_limit_headers:
                    limits = verdict.headers()
                if not verdict.allowed:
                    core.stats.rate_limited()
                    reply = error_reply(429, f"Rate limit of {core.limiter.rule} exceeded.")
                    return await send_reply(send, reply, limits)
        if self.fallback:
            return await send_reply(send, error_reply(404, "No such route."), limits)
        handler = self.handlers.get(method)
        if handler is None:
            return await send_reply(send, self._not_allowed, limits)
        call = Call(
            method,
            scope["path"],
            scope.get("path_params", {}),
            scope["query_string"],
            scope["headers"],
            core.api_key,
        )
        if method in _WITH_BODY:
            try:
                call.body = await read_body(receive)
            except ClientGone:
                return
        fault = None if self.public else core.faults.draw()
        if fault is not None and not plan.after_commit:
            core.stats.fault()
            return await send_reply(send, Reply(fault, _FAULT_BODY), limits)
        try:
            reply = handler(call)
        except ApiError as exc:
            reply = exc.reply()
        if fault is not None:
            # The write (if any) is committed; the client just never hears about it.
            core.stats.fault()
            reply = Reply(fault, _FAULT_BODY)
        if plan.latency_ms and plan.after_commit:
            await asyncio.sleep(plan.latency_ms / 1000)
        await send_reply(send, reply, limits)
