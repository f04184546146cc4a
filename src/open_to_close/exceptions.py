"""Errors raised by the Open To Close SDK.

Every error the API or the network can cause is an :class:`OpenToCloseAPIError`::

    OpenToCloseAPIError          status_code, response_data, method, endpoint
    ├── AuthenticationError      401, 403 (and a missing API key)
    ├── ValidationError          400, 422; field_errors: {field: reason}
    ├── NotFoundError            404
    ├── MethodNotAllowedError    405; allowed: the verbs the ``Allow`` header names
    ├── RateLimitError           429; retry_after (seconds, or None)
    ├── ServerError              5xx
    ├── NetworkError             connect errors, timeouts, dropped connections
    ├── AmbiguousWriteError      a create whose answer was lost: it may have been made
    └── ConfigurationError       bad settings (also a ValueError)

``endpoint`` is the path template (``/properties/{id}``) followed by the concrete path; it
never carries the query string, so the API key (sent as ``api_token``) cannot leak through
an error. Errors do not log themselves: the transport logs once, callers decide the rest.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousWriteError",
    "AuthenticationError",
    "ConfigurationError",
    "MethodNotAllowedError",
    "NetworkError",
    "NotFoundError",
    "OpenToCloseAPIError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
]


class OpenToCloseAPIError(Exception):
    """Base class of every error raised by the SDK."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response_data: Any = None,
        method: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.response_data = response_data
        self.method = method
        self.endpoint = endpoint

    def __str__(self) -> str:
        where = f" ({self.method} {self.endpoint})" if self.method and self.endpoint else ""
        status = f"[{self.status_code}] " if self.status_code is not None else ""
        return f"{status}{self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code!r}, "
            f"method={self.method!r}, endpoint={self.endpoint!r})"
        )


class AuthenticationError(OpenToCloseAPIError):
    """The API key is missing, wrong, or not allowed to do this (401, 403)."""


class ValidationError(OpenToCloseAPIError):
    """The API refused the data (400, 422). ``field_errors`` maps each field to its reason."""

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.field_errors: dict[str, str] = dict(field_errors or {})

    def __str__(self) -> str:
        base = super().__str__()
        if not self.field_errors:
            return base
        fields = "; ".join(f"{name}: {reason}" for name, reason in self.field_errors.items())
        return f"{base}: {fields}"


class NotFoundError(OpenToCloseAPIError):
    """The record does not exist (404)."""


class MethodNotAllowedError(OpenToCloseAPIError):
    """The path does not take this verb (405). ``allowed`` lists what ``Allow`` names."""

    def __init__(self, message: str, *, allowed: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.allowed = allowed


class RateLimitError(OpenToCloseAPIError):
    """Too many requests (429). ``retry_after`` is the server's wait in seconds, if given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(OpenToCloseAPIError):
    """The API failed (5xx)."""


class NetworkError(OpenToCloseAPIError):
    """The request did not get an answer: connection refused or dropped, or a timeout.

    ``request_sent`` is False when no connection was made, so the server surely never
    saw the request.
    """

    request_sent: bool = True


class AmbiguousWriteError(OpenToCloseAPIError):
    """A create (POST) got no usable answer after it may have reached the server.

    The live API is not known to honour ``Idempotency-Key``, so sending it again could
    make a second record. ``cause`` is the error that ended the attempt. Look for the
    record (by a field you set, or among the newest properties) before creating it again,
    or pass ``retry_posts="always"`` to a client whose server honours the key.
    """

    def __init__(
        self, message: str, *, cause: OpenToCloseAPIError | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.cause = cause


class ConfigurationError(OpenToCloseAPIError, ValueError):
    """A setting is missing or invalid; the message says which one and how to fix it."""
