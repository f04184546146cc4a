"""Tunables of the client, in one place."""

from __future__ import annotations

API_KEY_ENV = "OPEN_TO_CLOSE_API_KEY"
BASE_URL_ENV = "OPEN_TO_CLOSE_BASE_URL"
ENV_PREFIX = "OPEN_TO_CLOSE_"
DEFAULT_BASE_URL = "https://api.opentoclose.com/v1"
API_PREFIX = "/v1"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_BACKOFF = 0.5
DEFAULT_MAX_RETRY_DELAY = 60.0
DEFAULT_PAGE_SIZE = 100
DEFAULT_TIME_ZONE_ID = 1  # what published clients send; GET /timeZones/ lists the others

# Named environments for ``from_environment``: base URL and timeout of each.
ENVIRONMENTS: dict[str, tuple[str, float]] = {
    "development": ("https://api-dev.opentoclose.com/v1", 30.0),
    "staging": ("https://api-staging.opentoclose.com/v1", 30.0),
    "production": ("https://api.opentoclose.com/v1", 60.0),
}

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 32
