"""The rules every backend shares: decoding answers, mapping errors, deciding retries.

Both the sync and the async transport (httpx2 or aiohttp underneath) call these functions,
so a status means the same thing and a retry waits the same time whichever road it took.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Mapping
from typing import Any

from ._constants import RETRY_STATUSES
from ._hooks import Call
from ._redact import redact
from .exceptions import (
    AuthenticationError,
    NetworkError,
    NotFoundError,
    OpenToCloseAPIError,
    RateLimitError,
    ServerError,
    ValidationError,
)

_STATUS_ERRORS: dict[int, type[OpenToCloseAPIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _payload(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return redact(body[:2000].decode("utf-8", "replace"))


def error_from_response(
    call: Call, status: int, headers: Mapping[str, str], body: bytes
) -> OpenToCloseAPIError:
    """The one place an error answer becomes an exception."""
    data = _payload(body)
    message = ""
    field_errors: dict[str, str] = {}
    if isinstance(data, dict):
        message = str(data.get("message") or data.get("error") or data.get("detail") or "")
        errors = data.get("errors")
        if isinstance(errors, dict):
            field_errors = {str(k): str(v) for k, v in errors.items()}
    elif isinstance(data, str):
        message = data[:200]
    message = redact(message) or f"HTTP {status}"
    common: dict[str, Any] = {
        "status_code": status,
        "response_data": data,
        "method": call.method,
        "endpoint": call.path,
    }
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else OpenToCloseAPIError
    if cls is ValidationError:
        return ValidationError(message, field_errors=field_errors, **common)
    if cls is RateLimitError:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return RateLimitError(message, retry_after=retry_after, **common)
    return cls(message, **common)


def network_error(call: Call, exc: BaseException) -> NetworkError:
    """A failure below HTTP (refused, reset, timed out) as a :class:`NetworkError`."""
    detail = redact(str(exc)) or type(exc).__name__
    return NetworkError(f"{type(exc).__name__}: {detail}", method=call.method, endpoint=call.path)


def decode_success(call: Call, status: int, body: bytes) -> Any:
    """The JSON of a 2xx answer; an empty body (204) is ``{}``."""
    if not body or status == 204:
        return {}
    try:
        return json.loads(body)
    except ValueError:
        raise OpenToCloseAPIError(
            "The API answered with a body that is not JSON",
            status_code=status,
            response_data=redact(body[:500].decode("utf-8", "replace")),
            method=call.method,
            endpoint=call.path,
        ) from None


def is_retryable(call: Call, error: OpenToCloseAPIError) -> bool:
    """Whether another attempt is safe and may help.

    A POST is retried only with an idempotency key: without one, a lost answer could hide
    a committed create, and a retry would make a duplicate.
    """
    if call.method == "POST" and call.idempotency_key is None:
        return False
    if isinstance(error, NetworkError):
        return True
    return error.status_code in RETRY_STATUSES


def backoff_delay(attempt: int, backoff: float, cap: float) -> float:
    """Wait before retry ``attempt`` (0-based): up to ``backoff * 2**attempt``, jittered, capped."""
    ceiling = min(cap, backoff * 2.0**attempt)
    return ceiling * (0.5 + random.random() / 2)  # jitter, not security
