"""One delivery in, one answer out: what the ASGI app and the Flask blueprint share.

The answers (status, JSON body):

- body over the limit: 413; no signature: 400 ``{"error": "Missing signature"}``; a bad
  signature, a stale Standard Webhooks timestamp, malformed JSON: 400 with the reason;
- a replay of an event already taken: 200 ``{"status": "duplicate", ...}``; one being
  taken by another delivery right now: 409 (the sender retries later);
- without a queue: the handler runs now; 200 with its result, or 500 with a generic body
  (the trace goes to the log, never to the sender);
- with a queue: the event is stored and deduplicated in one step, then 202; if the queue
  can't take it (down, or its file locked longer than an enqueue may wait), 503 with
  ``Retry-After`` and nothing is remembered, so the sender's retry brings it again.

:meth:`Receiver.receive` blocks (a queue may wait for a lock or the network): the ASGI app
runs it on a worker thread, never on the event loop.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._redact import get_logger
from ..queue.base import KeyInProgressError
from .errors import EventInProgressError, InvalidSignatureError, MissingSignatureError, PayloadError
from .handler import HeadersLike, WebhookHandler

if TYPE_CHECKING:
    from ..queue.base import TaskQueue

log = get_logger(__name__)

DEFAULT_MAX_BODY = 1024 * 1024
WEBHOOK_TASK = "otc.webhook"
# A receiver killed between storing an event and answering leaves a claim behind; the
# sender's next retry (seconds later) may take it over once this has passed.
QUEUE_CLAIM_LEASE = 10.0

Answer = tuple[int, dict[str, Any]]

TOO_LARGE: Answer = (413, {"error": "Payload too large"})
_INTERNAL: Answer = (500, {"error": "Internal server error"})
_UNAVAILABLE: Answer = (503, {"error": "Service unavailable, retry later"})
RETRY_AFTER = "5"  # seconds, sent with every 503


def bind_queue(
    handler: WebhookHandler,
    queue: TaskQueue,
    *,
    max_retries: int = 3,
    retry_backoff: float = 60.0,
) -> None:
    """Register the task that runs ``handler``'s functions on ``queue``'s workers.

    Call it in every worker process (``otc worker`` does, given the handler's module);
    ``create_webhook_app(handler, queue=q)`` calls it for the receiving process.
    """
    queue.task(name=WEBHOOK_TASK, max_retries=max_retries, retry_backoff=retry_backoff)(
        handler.dispatch
    )


class Receiver:
    def __init__(
        self,
        handler: WebhookHandler,
        queue: TaskQueue | None = None,
        *,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        if max_body < 1:
            raise ValueError(f"max_body must be at least 1 byte, got {max_body!r}")
        self.handler = handler
        self.queue = queue
        self.max_body = max_body
        if queue is not None and WEBHOOK_TASK not in queue.tasks:
            bind_queue(handler, queue)

    def receive(self, body: bytes, headers: HeadersLike) -> Answer:
        """The answer to one delivery. Blocking: run it off the event loop."""
        if len(body) > self.max_body:
            return TOO_LARGE
        try:
            event = self.handler.parse(body, headers=headers)
        except MissingSignatureError:
            return 400, {"error": "Missing signature"}
        except (InvalidSignatureError, PayloadError) as exc:
            return 400, {"error": str(exc)}
        try:
            if self.queue is None:
                return 200, self.handler.handle(event)
            task_id, new = self.queue.enqueue_once(WEBHOOK_TASK, event.data, key=event.id)
        except (EventInProgressError, KeyInProgressError):
            return 409, {"error": "This event is being handled; retry later"}
        except Exception:
            log.exception("webhook %s (%s) failed", event.id, event.type)
            return _INTERNAL if self.queue is None else _UNAVAILABLE
        if not new:
            return 200, {"status": "duplicate", "event_id": event.id}
        return 202, {"status": "queued", "event_id": event.id, "task_id": task_id}


def encode(answer: Answer) -> tuple[int, bytes]:
    """Status and JSON body; a handler's result that JSON can't hold is shown as text."""
    status, body = answer
    try:
        return status, json.dumps(body, default=str).encode()
    except (TypeError, ValueError):
        log.exception("webhook handler returned a result that is not JSON")
        return _INTERNAL[0], json.dumps(_INTERNAL[1]).encode()
