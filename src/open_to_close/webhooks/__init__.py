"""Receive Open To Close webhooks: verify, deduplicate, and run handlers (or queue them).

::

    from open_to_close.webhooks import WebhookHandler, create_webhook_app

    handler = WebhookHandler(os.environ["WEBHOOK_SECRET"], dedupe="redis://localhost:6379/0")

    @handler.on("property.created")
    def property_created(event):
        ...

    app = create_webhook_app(handler, queue=open_to_close.queue.connect("sqlite:///q.db"))

``open_to_close.webhooks.flask`` has the same receiver as a Flask blueprint.
"""

from __future__ import annotations

from .app import create_webhook_app
from .dedupe import Claim, DedupeStore, RedisDedupe, SQLDedupe, open_dedupe
from .errors import (
    EventInProgressError,
    InvalidSignatureError,
    MissingSignatureError,
    PayloadError,
)
from .handler import Event, WebhookHandler
from .receiver import WEBHOOK_TASK, bind_queue
from .signatures import otc_signature, sign_headers, standard_signature

__all__ = [
    "WEBHOOK_TASK",
    "Claim",
    "DedupeStore",
    "Event",
    "EventInProgressError",
    "InvalidSignatureError",
    "MissingSignatureError",
    "PayloadError",
    "RedisDedupe",
    "SQLDedupe",
    "WebhookHandler",
    "bind_queue",
    "create_webhook_app",
    "open_dedupe",
    "otc_signature",
    "sign_headers",
    "standard_signature",
]
