"""Keep API keys out of logs, errors and printed URLs.

The live API takes the key as the ``api_token`` query parameter, so any library that logs a
URL (httpx2 logs every request at INFO) would print it. A filter on those loggers rewrites
the record before any handler sees it.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
_TOKEN_IN_TEXT = re.compile(r"(api_token=)[^&\s\"'#]+|(Bearer\s+)[A-Za-z0-9._~+/=-]+")
_known: set[str] = set()
_lock = threading.Lock()
_installed = False

# Loggers of the libraries our requests go through; they may print full URLs.
_HTTP_LOGGERS = ("httpx2", "httpcore2", "httpx", "httpcore", "aiohttp.client", "open_to_close")


def _mask_match(match: re.Match[str]) -> str:
    return f"{match.group(1) or match.group(2)}{MASK}"


def redact(text: str) -> str:
    """Return ``text`` with every API token (in a URL, a Bearer header or verbatim) masked."""
    if "api_token=" in text or "Bearer" in text:
        text = _TOKEN_IN_TEXT.sub(_mask_match, text)
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def mask_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part shown as ``***`` (a URL too
    malformed to take apart is ``***`` whole); the password is also masked wherever it
    would be logged from now on."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return MASK
    if not password:
        return url
    register_secret(password)
    register_secret(unquote(password))
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:{MASK}@{host}"))


def redact_data(data: Any) -> Any:
    """``data`` (decoded JSON) with every string redacted, keys included: an API that
    echoes the request's query string in an error must not carry the key into it."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact_data(k): redact_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_data(v) for v in data]
    return data


class Secret:
    """A string that does not print itself: ``repr`` and ``str`` show ``'***'``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class RedactingFilter(logging.Filter):
    """Masks API tokens in a log record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned is not message and cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the redacting filter on it. A logger's filters see
    only the records logged on that logger, not those of its children, so each of the
    package's loggers carries the filter itself: whatever handler a user attaches (to the
    root, or to ``open_to_close``) receives the key masked."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def register_secret(value: str) -> None:
    """Remember a secret so that it is masked wherever it would be logged; install the filter."""
    global _installed
    if len(value) < 4:  # masking a 1-3 character string would mangle ordinary text
        return
    with _lock:
        _known.add(value)
        if not _installed:
            for name in _HTTP_LOGGERS:
                get_logger(name)
            _installed = True
