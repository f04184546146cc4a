"""``create_webhook_app``: the receiver as an ASGI (Starlette) app.

The body is read with a cap (a sender can't make us buffer more than the limit), then the
blocking work (signature, dedupe, handler or queue) runs on a worker thread so the event
loop keeps accepting deliveries. See :mod:`.receiver` for the answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.routing import Route

from .handler import WebhookHandler
from .receiver import DEFAULT_MAX_BODY, RETRY_AFTER, TOO_LARGE, Receiver, encode

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    from ..queue.base import TaskQueue

    Scope = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
    Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
RECEIVE_THREADS = 32  # deliveries handled at once; more wait their turn off the loop


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


class WebhookEndpoint:
    """The ASGI endpoint of one receiver: POST only."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self._limiter: anyio.CapacityLimiter | None = None  # made on the event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            return await _send(send, 405, b'{"error": "Method not allowed; use POST"}')
        try:
            body = await self._read(scope, receive)
        except _TooLarge:
            status, payload = encode(TOO_LARGE)
            return await _send(send, status, payload)
        except _Gone:
            return None
        headers = scope["headers"]  # lower-case byte pairs; the handler decodes what it reads
        # Even the embedded queue's enqueue may wait for a lock: never on the event loop,
        # and on threads of its own, so deliveries stuck on a lock starve no other request.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(RECEIVE_THREADS)
        answer = await anyio.to_thread.run_sync(
            self.receiver.receive, body, headers, limiter=self._limiter
        )
        status, payload = encode(answer)
        await _send(send, status, payload)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.receiver.max_body
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes) -> None:
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", RETRY_AFTER.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_webhook_app(
    handler: WebhookHandler,
    path: str = "/webhook/otc",
    queue: TaskQueue | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
) -> Starlette:
    """An ASGI app that receives Open To Close webhooks at ``path`` (POST).

    Without ``queue`` the handler runs inside the request (200 with its result). With a
    queue (``open_to_close.queue.connect(url)``) the event is durably stored and
    deduplicated before the answer (202), and the queue's workers run the handler; run
    ``otc worker`` (or ``queue.worker().run()``) beside it. ``max_body`` is in bytes.
    """
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    receiver = Receiver(handler, queue, max_body=max_body)
    app = Starlette(routes=[Route(path, WebhookEndpoint(receiver), methods=["POST"])])
    app.state.receiver = receiver
    return app
