"""Open To Close: the Python SDK for the Open To Close API, and its integration layer.

>>> from open_to_close import OpenToCloseAPI
>>> client = OpenToCloseAPI()  # reads OPEN_TO_CLOSE_API_KEY  # doctest: +SKIP
"""

from ._hooks import Call, Hook
from ._optional import MissingDependencyError
from ._version import __version__
from .client import AsyncOpenToCloseAPI, OpenToCloseAPI
from .config import ClientSettings
from .exceptions import (
    AmbiguousWriteError,
    AuthenticationError,
    ConfigurationError,
    MethodNotAllowedError,
    NetworkError,
    NotFoundError,
    OpenToCloseAPIError,
    RateLimitError,
    ServerError,
    ValidationError,
)

__all__ = [
    "AmbiguousWriteError",
    "AsyncOpenToCloseAPI",
    "AuthenticationError",
    "Call",
    "ClientSettings",
    "ConfigurationError",
    "Hook",
    "MethodNotAllowedError",
    "MissingDependencyError",
    "NetworkError",
    "NotFoundError",
    "OpenToCloseAPI",
    "OpenToCloseAPIError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "__version__",
]
