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
from ._redact import redact, redact_data
from .exceptions import (
    AmbiguousWriteError,
    AuthenticationError,
    MethodNotAllowedError,
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
    405: MethodNotAllowedError,
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
        return redact_data(json.loads(body))
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
    if cls is MethodNotAllowedError:
        allowed = tuple(
            verb.strip().upper() for verb in headers.get("allow", "").split(",") if verb.strip()
        )
        if allowed:
            message = f"{message}; the path allows {', '.join(allowed)}"
        return MethodNotAllowedError(message, allowed=allowed, **common)
    if cls is RateLimitError:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return RateLimitError(message, retry_after=retry_after, **common)
    return cls(message, **common)


def network_error(call: Call, exc: BaseException, *, sent: bool = True) -> NetworkError:
    """A failure below HTTP (refused, reset, timed out) as a :class:`NetworkError`.

    ``sent`` is False only when the request surely never reached the server (no
    connection was made); a create is retried then even without server idempotency.
    """
    detail = redact(str(exc)) or type(exc).__name__
    error = NetworkError(f"{type(exc).__name__}: {detail}", method=call.method, endpoint=call.path)
    error.request_sent = sent
    return error


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


def surely_unprocessed(error: OpenToCloseAPIError) -> bool:
    """Whether the server surely did not act on the request: no connection, or a 429."""
    if isinstance(error, NetworkError):
        return not error.request_sent
    return error.status_code == 429


def is_retryable(call: Call, error: OpenToCloseAPIError, retry_posts: str = "safe") -> bool:
    """Whether another attempt is safe and may help.

    A POST is retried only when the server surely did not act on it, unless
    ``retry_posts="always"`` says the server honours the ``Idempotency-Key`` every
    create carries: otherwise a lost answer could hide a committed create, and a retry
    would make a duplicate.
    """
    if call.method == "POST":
        if call.idempotency_key is None:
            return False
        if retry_posts != "always" and not surely_unprocessed(error):
            return False
    if isinstance(error, NetworkError):
        return True
    return error.status_code in RETRY_STATUSES


def ambiguous_write(
    call: Call, error: OpenToCloseAPIError, retry_posts: str
) -> OpenToCloseAPIError:
    """The error to raise for a failed call: a create whose answer may have been lost
    becomes :class:`AmbiguousWriteError`, anything else stays as it is."""
    if call.method != "POST" or retry_posts == "always" or surely_unprocessed(error):
        return error
    if not isinstance(error, NetworkError) and (error.status_code or 0) < 500:
        return error  # refused (4xx): nothing was made
    return AmbiguousWriteError(
        f"{call.method} {call.path} may have been processed: {type(error).__name__} "
        f"({error.message}). The API is not known to honour Idempotency-Key, so it was not "
        "sent again: look for the record before creating it again, or pass "
        "retry_posts='always' if this server honours the key",
        cause=error,
        status_code=error.status_code,
        response_data=error.response_data,
        method=call.method,
        endpoint=call.path,
    )


def backoff_delay(attempt: int, backoff: float, cap: float) -> float:
    """Wait before retry ``attempt`` (0-based): up to ``backoff * 2**attempt``, jittered, capped."""
    ceiling = min(cap, backoff * 2.0**attempt)
    return ceiling * (0.5 + random.random() / 2)  # jitter, not security
