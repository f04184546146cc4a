"""``WebhookHandler``: verify a delivery, drop duplicates, run the handler for its type.

The guide's class, fixed: both signature schemes and several secrets (rotation), compared
in constant time on bytes (a ``None`` or non-ASCII header is a refusal, not a crash); the
Standard Webhooks timestamp checked against a tolerance; and every event id remembered
durably, so a captured delivery sent again runs nothing. A handler that raises leaves its
event unclaimed, so the sender's retry runs it again: nothing is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .._redact import get_logger
from . import signatures as sig
from .dedupe import Claim, DedupeStore, check_event_id, open_dedupe
from .errors import (
    EventInProgressError,
    InvalidSignatureError,
    MissingSignatureError,
    PayloadError,
)

log = get_logger(__name__)

EventHandler = Callable[[dict[str, Any]], Any]
F = TypeVar("F", bound=EventHandler)
HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]

DEFAULT_PROCESSING_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class Event:
    """A verified delivery: its id (the dedupe key), type and decoded body."""

    id: str
    type: str
    data: dict[str, Any]


def normalize_headers(headers: HeadersLike | None) -> dict[str, str]:
    """Header names lower-cased; works for dicts, Starlette and Werkzeug headers, pairs."""
    if headers is None:
        return {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        out[key.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
    return out


def decode_event(payload: bytes) -> dict[str, Any]:
    """The body as a JSON object with a string ``event_type``, or :class:`PayloadError`."""
    try:
        data = json.loads(payload, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise PayloadError("Malformed JSON") from None
    if not isinstance(data, dict):
        raise PayloadError("The body must be a JSON object")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError("The body has no event_type")
    return data


class WebhookHandler:
    """Verify, dedupe and dispatch Open To Close webhooks.

    ::

        handler = WebhookHandler(os.environ["WEBHOOK_SECRET"])

        @handler.on("property.status_changed")
        def status_changed(event):
            ...

    ``secret`` is one secret or a list (during a rotation every one is accepted).
    ``dedupe`` is a URL (``redis://...`` or a SQLAlchemy URL) or a store; by default seen
    event ids go to the state database, ``.otc/state.db``. ``tolerance`` bounds the
    age of a Standard Webhooks timestamp, in seconds. ``processing_timeout``: a delivery
    whose handler has not finished after this long (its process died) may be run again.
    """

    def __init__(
        self,
        secret: str | Iterable[str],
        *,
        dedupe: str | DedupeStore | None = None,
        tolerance: float = sig.DEFAULT_TOLERANCE,
        processing_timeout: float = DEFAULT_PROCESSING_TIMEOUT,
    ) -> None:
        if secret is None:
            raise ValueError("WebhookHandler needs the webhook secret (got None)")
        self.secrets = sig.Secrets(secret)
        self.tolerance = float(tolerance)
        self.processing_timeout = float(processing_timeout)
        self.handlers: dict[str, EventHandler] = {}
        self._dedupe_spec = dedupe
        self._dedupe: DedupeStore | None = dedupe if not isinstance(dedupe, str | None) else None

    # -- registration --------------------------------------------------------------------

    def register_handler(self, event_type: str, handler_func: EventHandler) -> None:
        """Run ``handler_func(event)`` for ``event_type`` (``"*"``: any type without one)."""
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("event_type must be a non-empty string, e.g. 'property.created'")
        if not callable(handler_func):
            raise TypeError(f"the handler for {event_type!r} is not callable")
        self.handlers[event_type] = handler_func

    def on(self, event_type: str) -> Callable[[F], F]:
        """Decorator form of :meth:`register_handler`."""

        def register(func: F) -> F:
            self.register_handler(event_type, func)
            return func

        return register

    # -- verification --------------------------------------------------------------------

    def verify_signature(self, payload: bytes, signature: str | None) -> bool:
        """Whether ``signature`` is a valid ``X-OTC-Signature`` of ``payload``."""
        return sig.verify_otc(self.secrets.keys, _as_bytes(payload), signature)

    def parse(
        self,
        payload: bytes | str,
        signature: str | None = None,
        headers: HeadersLike | None = None,
    ) -> Event:
        """Verify a delivery and decode it; raise ``InvalidSignatureError`` or ``PayloadError``.

        With Standard Webhooks headers present, that scheme (with its timestamp check)
        decides; else the ``X-OTC-Signature`` (``signature`` or in ``headers``).
        """
        body = _as_bytes(payload)
        found = normalize_headers(headers)
        standard = found.get(sig.WEBHOOK_SIGNATURE)
        if standard is not None:
            sig.verify_standard(
                self.secrets.keys,
                body,
                found.get(sig.WEBHOOK_ID),
                found.get(sig.WEBHOOK_TIMESTAMP),
                standard,
                tolerance=self.tolerance,
            )
        else:
            otc = signature if signature is not None else found.get(sig.OTC_SIGNATURE)
            if sig.as_text(otc) is None:
                raise MissingSignatureError()
            if not sig.verify_otc(self.secrets.keys, body, otc):
                raise InvalidSignatureError("Invalid webhook signature")
        data = decode_event(body)
        return Event(_event_id(data, body, found, standard is not None), data["event_type"], data)

    # -- handling ------------------------------------------------------------------------

    @property
    def dedupe(self) -> DedupeStore:
        """The store of seen event ids, opened on first use."""
        if self._dedupe is None:
            spec = self._dedupe_spec
            self._dedupe = open_dedupe(spec if isinstance(spec, str) else None)
        return self._dedupe

    def dispatch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the handler registered for ``event["event_type"]``; no dedupe, no checks."""
        event_type = event.get("event_type")
        func = self.handlers.get(str(event_type)) or self.handlers.get("*")
        if func is None:
            return {"status": "ignored", "reason": f"No handler for {event_type}"}
        result = func(event)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        if result is None:
            return {"status": "processed", "event_type": event_type}
        if isinstance(result, dict):
            return result
        return {"status": "processed", "result": result}

    def handle(self, event: Event) -> dict[str, Any]:
        """Dispatch a verified event once: duplicates are answered, failures released."""
        claim = self.dedupe.claim(event.id, self.processing_timeout)
        if claim is Claim.DONE:
            return {"status": "duplicate", "event_id": event.id}
        if claim is Claim.BUSY:
            raise EventInProgressError(event.id)
        try:
            result = self.dispatch(event.data)
        except BaseException:
            self.dedupe.release(event.id)
            raise
        self.dedupe.complete(event.id)
        return result

    def process_webhook(
        self,
        payload: bytes | str,
        signature: str | None = None,
        headers: HeadersLike | None = None,
    ) -> dict[str, Any]:
        """Verify, dedupe and handle one delivery; the handler's result as a dict.

        Raises ``InvalidSignatureError`` (a ``ValueError``) for a bad or missing
        signature, ``PayloadError`` (a ``ValueError``) for a body that is not an event.
        """
        return self.handle(self.parse(payload, signature, headers))

    def close(self) -> None:
        """Close the dedupe store this handler opened (a store passed in stays open)."""
        if self._dedupe is not None and isinstance(self._dedupe_spec, str | None):
            self._dedupe.close()
            self._dedupe = None

    def __repr__(self) -> str:
        return f"<WebhookHandler types={sorted(self.handlers)} secrets={len(self.secrets.keys)}>"


def _as_bytes(payload: bytes | bytearray | str) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogatepass")
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    raise TypeError(f"payload must be bytes (the raw body), got {type(payload).__name__}")


def _event_id(data: dict[str, Any], body: bytes, headers: dict[str, str], signed: bool) -> str:
    """The dedupe key: the body's ``id``; else the signed ``webhook-id``; else the body hash.

    An id no store can keep (a NUL, a lone surrogate) is a :class:`PayloadError` (400).
    """
    value = data.get("id")
    if isinstance(value, str | int) and not isinstance(value, bool) and 0 < len(str(value)) <= 200:
        return _storable(str(value))
    header = sig.as_text(headers.get(sig.WEBHOOK_ID)) if signed else None
    if header is not None and len(header) <= 200:
        return _storable(header)
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _storable(event_id: str) -> str:
    try:
        return check_event_id(event_id)
    except ValueError:
        raise PayloadError("The event id holds a NUL or a lone surrogate") from None


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; a body holding them could not be queued as JSON.
    raise ValueError(f"{name} is not JSON")


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
