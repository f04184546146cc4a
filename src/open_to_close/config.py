"""Client settings: from arguments, environment variables, named environments, files, secrets.

Every loader ends in :func:`build_settings`, which validates once and says what to fix.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from . import _constants as C
from ._optional import require
from ._redact import Secret
from .exceptions import AuthenticationError, ConfigurationError

__all__ = [
    "ClientSettings",
    "build_settings",
    "environment_settings",
    "file_settings",
    "secret_settings",
]

# Keys a config file or secret may hold, and the type each must have.
_FILE_KEYS: dict[str, tuple[type, ...]] = {
    "api_key": (str,),
    "base_url": (str,),
    "timeout": (int, float),
    "max_retries": (int,),
    "retry_backoff": (int, float),
    "max_retry_delay": (int, float),
    "team_member_id": (int,),
    "time_zone_id": (int,),
    "rate_limit": (str, int, float),
    "field_aliases": (dict,),
    "status_map": (dict,),
    "retry_posts": (str,),
}

RetryPosts = Literal["safe", "always"]
RETRY_POSTS: tuple[RetryPosts, ...] = ("safe", "always")

# The live-model settings, and the environment variable each may come from.
LIVE_SETTINGS = (
    "team_member_id",
    "time_zone_id",
    "rate_limit",
    "field_aliases",
    "status_map",
    "retry_posts",
)


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Validated settings of one client. The key is a :class:`Secret`: it never prints."""

    api_key: Secret
    base_url: str
    timeout: float = C.DEFAULT_TIMEOUT
    max_retries: int = C.DEFAULT_MAX_RETRIES
    retry_backoff: float = C.DEFAULT_RETRY_BACKOFF
    max_retry_delay: float = C.DEFAULT_MAX_RETRY_DELAY
    team_member_id: int | None = None  # None: the first member of the first team
    time_zone_id: int = C.DEFAULT_TIME_ZONE_ID
    rate_limit: float | None = None  # requests per second; None: headers, else 429s
    field_aliases: Mapping[str, str] = field(default_factory=dict)
    status_map: Mapping[str, str] = field(default_factory=dict)
    retry_posts: RetryPosts = "safe"


def normalize_base_url(url: str, *, setting: str = "base_url") -> str:
    """Check ``url`` and give it the API's ``/v1`` prefix when it names only a host.

    ``https://api.opentoclose.com`` (what older examples pass) becomes
    ``https://api.opentoclose.com/v1``; a URL with a path is kept as given.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"{setting} must be an http(s) URL such as {C.DEFAULT_BASE_URL!r}; got {url!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"{setting} must not carry a query string or fragment (the API key is passed "
            "separately as api_key); remove everything after '?' or '#'"
        )
    path = parts.path.rstrip("/")
    if not path:
        path = C.API_PREFIX
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _number(name: str, value: object, *, minimum: float, integer: bool = False) -> float:
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "a whole number" if integer else "a number"
        raise ConfigurationError(f"{name} must be {kind}; got {value!r}")
    number = float(value)  # type: ignore[arg-type]  # int or float, checked above
    if not math.isfinite(number) or number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}; got {value!r}")
    return number


def build_settings(
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    *,
    timeout: float = C.DEFAULT_TIMEOUT,
    max_retries: int = C.DEFAULT_MAX_RETRIES,
    retry_backoff: float = C.DEFAULT_RETRY_BACKOFF,
    max_retry_delay: float = C.DEFAULT_MAX_RETRY_DELAY,
    key_source: str = C.API_KEY_ENV,
    team_member_id: int | str | None = None,
    time_zone_id: int | str | None = None,
    rate_limit: str | float | None = None,
    field_aliases: Mapping[str, str] | str | None = None,
    status_map: Mapping[str, str] | str | None = None,
    retry_posts: str | None = None,
) -> ClientSettings:
    """Validate client settings; missing values come from the environment, then defaults.

    The live-model settings (``team_member_id``, ``time_zone_id``, ``rate_limit``,
    ``field_aliases``, ``status_map``, ``retry_posts``) fall back to
    ``OPEN_TO_CLOSE_<NAME>``; the two maps there are JSON objects.
    """
    if api_key is None:
        api_key = os.environ.get(C.API_KEY_ENV)
    if isinstance(api_key, str):
        api_key = api_key.strip()
    if not api_key:
        raise AuthenticationError(
            f"No API key: pass api_key=... or set the {key_source} environment variable"
        )
    secret = api_key if isinstance(api_key, Secret) else Secret(api_key)
    if base_url is None:
        base_url = os.environ.get(C.BASE_URL_ENV) or C.DEFAULT_BASE_URL
    return ClientSettings(
        api_key=secret,
        base_url=normalize_base_url(base_url),
        timeout=float(_number("timeout", timeout, minimum=0.001)),
        max_retries=int(_number("max_retries", max_retries, minimum=0, integer=True)),
        retry_backoff=float(_number("retry_backoff", retry_backoff, minimum=0)),
        max_retry_delay=float(_number("max_retry_delay", max_retry_delay, minimum=0)),
        team_member_id=_optional_id("team_member_id", _env("team_member_id", team_member_id)),
        time_zone_id=_optional_id("time_zone_id", _env("time_zone_id", time_zone_id))
        or C.DEFAULT_TIME_ZONE_ID,
        rate_limit=parse_rate(_env("rate_limit", rate_limit)),
        field_aliases=_name_map("field_aliases", _env("field_aliases", field_aliases)),
        status_map=_name_map("status_map", _env("status_map", status_map)),
        retry_posts=_retry_posts(_env("retry_posts", retry_posts)),
    )


def _env(name: str, value: Any) -> Any:
    """``value``, else the ``OPEN_TO_CLOSE_<NAME>`` environment variable (or None)."""
    if value is not None:
        return value
    return os.environ.get(f"{C.ENV_PREFIX}{name.upper()}") or None


def _optional_id(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive whole number (an id); got {value!r}")
    return value


_RATE_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}


def parse_rate(value: Any) -> float | None:
    """``"60/m"``, ``"1/s"`` or a number of requests per second (None: no setting)."""
    if value is None:
        return None
    rate: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    elif isinstance(value, str):
        count, _, unit = value.strip().partition("/")
        try:
            number = float(count)
        except ValueError:
            number = math.nan
        per = _RATE_UNITS.get(unit.strip().lower(), math.nan) if unit else 1.0
        rate = number / per
    if rate is None or not math.isfinite(rate) or rate <= 0:
        raise ConfigurationError(
            f"rate_limit must be like '60/m', '1/s' or a positive number of requests per "
            f"second; got {value!r}"
        )
    return rate


def _name_map(name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigurationError(
                f'{name} must be a JSON object of names, e.g. {{"price": "listing_price"}}'
            ) from None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ConfigurationError(f"{name} must map names to names (strings); got {value!r}")
    return dict(value)


def _retry_posts(value: Any) -> RetryPosts:
    if value is None:
        return "safe"
    if value not in RETRY_POSTS:
        raise ConfigurationError(
            f"retry_posts must be 'safe' (retry a create only when it surely was not "
            f"processed) or 'always' (the server honours Idempotency-Key); got {value!r}"
        )
    return value  # type: ignore[no-any-return]


def environment_settings(name: str, **overrides: Any) -> ClientSettings:
    """Settings of a named environment: ``development``, ``staging`` or ``production``."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in C.ENVIRONMENTS:
        known = ", ".join(C.ENVIRONMENTS)
        raise ConfigurationError(f"Unknown environment {name!r}; choose one of: {known}")
    default_url, timeout = C.ENVIRONMENTS[key]
    key_var = f"{C.API_KEY_ENV}_{key.upper()}"
    api_key = os.environ.get(key_var)
    if not api_key:
        raise ConfigurationError(
            f"No API key for the {key} environment: set the {key_var} environment variable"
        )
    base_url = os.environ.get(f"{C.BASE_URL_ENV}_{key.upper()}") or default_url
    options: dict[str, Any] = {"timeout": timeout, **overrides}
    return build_settings(api_key, base_url, key_source=key_var, **options)


def _from_mapping(data: Mapping[str, Any], source: str, **overrides: Any) -> ClientSettings:
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(_FILE_KEYS)}"
        )
    for key, value in data.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, _FILE_KEYS[key])
        ):
            expected = " or ".join(t.__name__ for t in _FILE_KEYS[key])
            raise ConfigurationError(
                f"{source}: {key} must be {expected}; got {type(value).__name__}"
            )
    merged = {k: v for k, v in data.items() if v is not None}
    merged.update(overrides)
    try:
        return build_settings(**merged)
    except AuthenticationError as exc:
        raise ConfigurationError(
            f"{source}: no api_key in the file and {C.API_KEY_ENV} is not set"
        ) from exc
    except ConfigurationError as exc:
        raise ConfigurationError(f"{source}: {exc.message}") from None


def file_settings(path: str | os.PathLike[str], **overrides: Any) -> ClientSettings:
    """Settings from a JSON or TOML file (``api_key``, ``base_url``, ``timeout``, ...).

    In TOML, the settings may sit at the top level or in an ``[open_to_close]`` table. A key
    missing from the file falls back to the environment variables, then the defaults.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"Cannot read config file {file}: {exc.strerror}") from None
    suffix = file.suffix.lower()
    data: Any
    try:
        if suffix == ".json":
            data = json.loads(raw)
        elif suffix == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
            data = data.get("open_to_close", data)
        else:
            raise ConfigurationError(
                f"Config file {file} must end in .json or .toml to say how to read it"
            )
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"Config file {file} is not valid {suffix[1:]}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"Config file {file} must hold an object of settings")
    return _from_mapping(data, f"config file {file}", **overrides)


def secret_settings(
    secret_name: str, region_name: str = "us-east-1", **overrides: Any
) -> ClientSettings:
    """Settings from an AWS Secrets Manager secret holding JSON with ``api_key``, ``base_url``."""
    boto3 = require("boto3", "aws", "Reading the API key from AWS Secrets Manager")
    botocore_exceptions = require("botocore.exceptions", "aws", "AWS Secrets Manager")
    source = f"AWS secret {secret_name!r} ({region_name})"
    try:
        client = boto3.session.Session().client("secretsmanager", region_name=region_name)
        answer = client.get_secret_value(SecretId=secret_name)
    except botocore_exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise ConfigurationError(f"Cannot read {source}: {code}") from None
    except botocore_exceptions.BotoCoreError as exc:
        raise ConfigurationError(f"Cannot read {source}: {type(exc).__name__}") from None
    text = answer.get("SecretString")
    if not isinstance(text, str):
        raise ConfigurationError(f"{source} must be a JSON string secret, not binary")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigurationError(f'{source} is not JSON; store {{"api_key": ...}}') from None
    if not isinstance(data, dict) or not data.get("api_key"):
        raise ConfigurationError(f"{source} must be a JSON object with an 'api_key'")
    allowed = {k: data[k] for k in _FILE_KEYS if k in data}
    return _from_mapping(allowed, source, **overrides)
