"""The sandbox API's webhook routes: ``/webhooks`` (subscriptions) and their deliveries.

- ``POST /v1/webhooks`` ``{"url", "events": ["*"], "secret"?, "max_retries"?,
  "retry_backoff"?, "timeout"?}`` -> 201 with the subscription (and ``secret`` when the
  sandbox generated one);
- ``GET /v1/webhooks``, ``GET /v1/webhooks/{id}``, ``DELETE /v1/webhooks/{id}`` (204);
- ``GET /v1/webhooks/deliveries``: the delivery log, oldest first.
"""

from __future__ import annotations

import json
from typing import Any

from .events import EVENT_PATTERNS
from .handlers import Handler, ident
from .openapi import JSON, _json, _ref, _responses
from .validation import parse_object
from .webhooks import (
    MAX_RETRIES_CAP,
    MAX_SECONDS,
    URL_PATTERN,
    WebhookDispatcher,
)
from .wire import ApiError, Call, Reply

_OPTIONS = ("secret", "max_retries", "retry_backoff", "timeout")


class SubscriptionHandlers:
    def __init__(self, dispatcher: WebhookDispatcher) -> None:
        self.dispatcher = dispatcher

    def routes(self) -> list[tuple[str, dict[str, Handler]]]:
        """``(template, handlers)`` pairs; the deliveries route first, before ``{id}``."""
        return [
            ("/webhooks/deliveries", {"GET": self.deliveries}),
            ("/webhooks", {"GET": self.list, "POST": self.create}),
            ("/webhooks/{id}", {"GET": self.retrieve, "DELETE": self.delete}),
        ]

    def _id(self, call: Call) -> int:
        subscription_id = ident(call.path_params.get("id"))
        if subscription_id is None or self.dispatcher.subscription(subscription_id) is None:
            raise ApiError(404, "Webhook subscription not found.")
        return subscription_id

    def create(self, call: Call) -> Reply:
        body = parse_object(call.body)
        if "url" not in body:
            raise ApiError(422, "A subscription needs a url.", {"url": "is required"})
        options = {name: body[name] for name in _OPTIONS if name in body}
        if "secret" in options and not isinstance(options["secret"], str):
            raise ApiError(422, "secret must be a string.", {"secret": "must be a string"})
        try:
            created = self.dispatcher.subscribe(body["url"], body.get("events", ("*",)), **options)
        except ValueError as exc:
            field = next((name for name in ("url", "events", *_OPTIONS) if name in str(exc)), "")
            raise ApiError(422, str(exc), {field or "body": str(exc)}) from None
        return Reply(201, json.dumps(created).encode())

    def list(self, call: Call) -> Reply:
        return Reply(200, json.dumps(self.dispatcher.subscriptions()).encode())

    def retrieve(self, call: Call) -> Reply:
        return Reply(200, json.dumps(self.dispatcher.subscription(self._id(call))).encode())

    def delete(self, call: Call) -> Reply:
        self.dispatcher.unsubscribe(self._id(call))
        return Reply(204, b"")

    def deliveries(self, call: Call) -> Reply:
        return Reply(200, json.dumps(self.dispatcher.deliveries()).encode())


def _subscription_schema(creating: bool) -> JSON:
    props: JSON = {
        "url": {"type": "string", "pattern": URL_PATTERN, "description": "Where to POST."},
        "events": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(EVENT_PATTERNS)},
            "description": "Event types, 'property.*' style prefixes, or '*' (the default).",
        },
        "max_retries": {"type": "integer", "minimum": 0, "maximum": MAX_RETRIES_CAP},
        "retry_backoff": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        "timeout": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
    }
    if creating:
        props["secret"] = {"type": "string", "minLength": 1, "description": "Signing secret."}
        return {"type": "object", "required": ["url"], "properties": props}
    props["id"] = {"type": "integer", "minimum": 1}
    props["created_at"] = {"type": "string", "format": "date-time"}
    props["secret"] = {"type": "string", "description": "Only when the sandbox made one."}
    return {"type": "object", "required": ["id", "url", "events"], "properties": props}


def add_webhook_docs(document: JSON) -> JSON:
    """Add the webhook routes and schemas to the sandbox's OpenAPI document."""
    schemas = document["components"]["schemas"]
    schemas["WebhookSubscription"] = _subscription_schema(creating=False)
    schemas["WebhookSubscriptionCreate"] = _subscription_schema(creating=True)
    schemas["WebhookDelivery"] = {
        "type": "object",
        "required": ["id", "event_id", "event_type", "url", "status", "attempts"],
        "properties": {
            "id": {"type": "string"},
            "event_id": {"type": "string"},
            "event_type": {"type": "string"},
            "subscription_id": {"type": "integer"},
            "url": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer", "minimum": 0},
            "response_status": {"type": ["integer", "null"]},
            "error": {"type": ["string", "null"]},
        },
    }
    one = _json(_ref("WebhookSubscription"), "The subscription.")
    many = _json({"type": "array", "items": _ref("WebhookSubscription")}, "Subscriptions.")
    id_param: Any = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    paths = document["paths"]
    paths["/webhooks"] = {
        "get": {
            "operationId": "list_webhook_subscriptions",
            "responses": _responses("200", many, nested=False, item=False, body=False),
        },
        "post": {
            "operationId": "create_webhook_subscription",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("WebhookSubscriptionCreate")}},
            },
            "responses": _responses("201", one, nested=False, item=False, body=True),
        },
    }
    paths["/webhooks/{id}"] = {
        "parameters": [id_param],
        "get": {
            "operationId": "retrieve_webhook_subscription",
            "responses": _responses("200", one, nested=False, item=True, body=False),
        },
        "delete": {
            "operationId": "delete_webhook_subscription",
            "responses": _responses(
                "204", {"description": "Deleted."}, nested=False, item=True, body=False
            ),
        },
    }
    paths["/webhooks/deliveries"] = {
        "get": {
            "operationId": "list_webhook_deliveries",
            "responses": _responses(
                "200",
                _json({"type": "array", "items": _ref("WebhookDelivery")}, "The delivery log."),
                nested=False,
                item=False,
                body=False,
            ),
        }
    }
    return document
