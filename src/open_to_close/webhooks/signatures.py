"""Webhook signatures: the guide's ``X-OTC-Signature`` and Standard Webhooks.

- ``X-OTC-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body, keyed with the secret.
  It signs no timestamp, so a replay is caught by event-id dedupe, not here.
- Standard Webhooks (https://www.standardwebhooks.com): ``webhook-signature: v1,<base64>``
  over ``{webhook-id}.{webhook-timestamp}.{body}``, several space-separated signatures
  allowed (secret rotation), and a timestamp that must be within a tolerance of now.

Secrets are keyed by their UTF-8 bytes. Every header value from the wire is treated as
hostile: ``None``, bytes, non-ASCII text or a megabyte of junk is a failed check, never an
exception other than :class:`InvalidSignatureError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable, Sequence

from .._redact import register_secret
from .errors import InvalidSignatureError

OTC_SIGNATURE = "x-otc-signature"
OTC_EVENT_ID = "x-otc-event-id"
OTC_TIMESTAMP = "x-otc-timestamp"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"

DEFAULT_TOLERANCE = 300.0
_MAX_HEADER = 8192  # far past any real signature list; bounds the work on junk


class Secrets:
    """One or more signing secrets (rotation), kept as bytes and never shown."""

    __slots__ = ("_keys",)

    def __init__(self, secret: str | bytes | Iterable[str | bytes]) -> None:
        items = [secret] if isinstance(secret, str | bytes) else list(secret)
        keys = []
        for item in items:
            key = item.encode() if isinstance(item, str) else item
            if not isinstance(key, bytes) or not key:
                raise ValueError("a webhook secret must be a non-empty string")
            keys.append(key)
            register_secret(key.decode("utf-8", "replace"))
        if not keys:
            raise ValueError("give at least one webhook secret")
        self._keys: tuple[bytes, ...] = tuple(keys)

    @property
    def keys(self) -> tuple[bytes, ...]:
        return self._keys

    def __repr__(self) -> str:
        return f"<Secrets: {len(self._keys)} hidden>"


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def otc_signature(secret: str | bytes, body: bytes) -> str:
    """The ``X-OTC-Signature`` value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(_key(secret), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(
    secret: str | bytes, body: bytes, event_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """Every header of a signed delivery, both schemes, as the sandbox sends them."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "X-OTC-Signature": otc_signature(secret, body),
        "X-OTC-Event-Id": event_id,
        "X-OTC-Timestamp": str(ts),
        "webhook-id": event_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_signature(secret, event_id, ts, body),
    }


def as_text(value: object) -> str | None:
    """A header value as text, or None if it is missing, empty or absurdly long."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("latin-1")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_HEADER:
        return None
    return value.strip()


def verify_otc(keys: Sequence[bytes], body: bytes, signature: object) -> bool:
    """Whether ``signature`` is ``sha256=<hex>`` of ``body`` under one of ``keys``."""
    text = as_text(signature)
    if text is None:
        return False
    scheme, _, given = text.partition("=")
    if scheme.strip().lower() != "sha256":
        return False
    # Bytes, not str: compare_digest raises on non-ASCII text (the guide's crash).
    given_bytes = given.strip().lower().encode("utf-8", "replace")
    ok = False
    for key in keys:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
        ok |= hmac.compare_digest(expected, given_bytes)
    return ok


def verify_standard(
    keys: Sequence[bytes],
    body: bytes,
    msg_id: object,
    timestamp: object,
    signature: object,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a Standard Webhooks delivery; raise :class:`InvalidSignatureError` if it fails."""
    mid, stamp, sigs = as_text(msg_id), as_text(timestamp), as_text(signature)
    if mid is None or stamp is None or sigs is None:
        raise InvalidSignatureError(
            "Standard Webhooks needs webhook-id, webhook-timestamp and webhook-signature"
        )
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise InvalidSignatureError("webhook-timestamp is not a Unix time in seconds")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise InvalidSignatureError("webhook-timestamp is outside the tolerance (replay?)")
    given = []
    for part in sigs.split():
        version, _, value = part.partition(",")
        if version == "v1" and value:
            given.append(value.encode("utf-8", "replace"))
    if not given:
        raise InvalidSignatureError("webhook-signature has no v1 signature")
    signed = f"{mid}.{stamp}.".encode("utf-8", "replace") + body
    ok = False
    for key in keys:
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        for candidate in given:
            ok |= hmac.compare_digest(expected, candidate)
    if not ok:
        raise InvalidSignatureError("Invalid webhook signature")
