"""What a webhook delivery can be refused for.

::

    ValueError
    ├── InvalidSignatureError       signature missing, wrong, or its timestamp too old
    │   └── MissingSignatureError   no signature header at all
    └── PayloadError                the body is not a JSON object with an event_type

:class:`EventInProgressError` (not a ``ValueError``) says another delivery of the same
event is being handled right now: the sender should try again later.
"""

from __future__ import annotations


class InvalidSignatureError(ValueError):
    """The delivery is not signed by any of the handler's secrets."""


class MissingSignatureError(InvalidSignatureError):
    """No signature header: neither ``X-OTC-Signature`` nor ``webhook-signature``."""

    def __init__(self, message: str = "Missing signature") -> None:
        super().__init__(message)


class PayloadError(ValueError):
    """The body is not a JSON object carrying an ``event_type``."""


class EventInProgressError(Exception):
    """Another delivery of this event id holds the claim; retry later (HTTP 409)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} is being handled by another delivery")
        self.event_id = event_id
