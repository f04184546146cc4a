"""The receiver as a Flask blueprint: the guide's ``/webhook/otc`` route, done safely.

::

    from flask import Flask
    from open_to_close.webhooks.flask import create_webhook_blueprint

    app = Flask(__name__)
    app.register_blueprint(create_webhook_blueprint(handler, queue=queue))

Same answers as :func:`open_to_close.webhooks.create_webhook_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._optional import require
from .handler import WebhookHandler
from .receiver import DEFAULT_MAX_BODY, RETRY_AFTER, TOO_LARGE, Receiver, encode

if TYPE_CHECKING:
    from ..queue.base import TaskQueue


def create_webhook_blueprint(
    handler: WebhookHandler,
    path: str = "/webhook/otc",
    queue: TaskQueue | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    name: str = "otc_webhooks",
) -> Any:
    """A ``flask.Blueprint`` with one POST route at ``path``."""
    flask = require("flask", "flask", "The Flask webhook blueprint")
    receiver = Receiver(handler, queue, max_body=max_body)
    blueprint = flask.Blueprint(name, __name__)

    def respond(answer: tuple[int, dict[str, Any]]) -> Any:
        status, body = encode(answer)
        response = flask.Response(body, status=status, mimetype="application/json")
        if status == 503:
            response.headers["Retry-After"] = RETRY_AFTER  # as the ASGI app says it
        return response

    @blueprint.post(path)  # type: ignore[untyped-decorator]
    def receive_webhook() -> Any:
        request = flask.request
        length = request.content_length
        if length is not None and length > max_body:
            return respond(TOO_LARGE)
        # Read one byte past the limit: enough to know it is too large, never the rest.
        body = request.stream.read(max_body + 1)
        if len(body) > max_body:
            return respond(TOO_LARGE)
        return respond(receiver.receive(body, request.headers.items()))

    blueprint.receiver = receiver
    return blueprint


__all__ = ["create_webhook_blueprint"]
