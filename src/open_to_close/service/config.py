"""``otc.toml``: the one file that configures ``otc serve``, validated before anything starts.

Every section is optional; what a file leaves out takes the embedded default (SQLite state
and queue, memory cache, no sync jobs). A mistake is reported with the key's full path and
what it must be, e.g. ``sync.jobs[0].every: use a duration like 30s, 5m or 1h``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from .._keyspace import check_prefix
from .._redact import Secret
from .._urls import STATE_SCHEMES, STATE_URL, check_cache_url, scheme_check
from ..config import LIVE_SETTINGS, normalize_base_url, parse_rate
from ..console.settings import ConsoleSection
from ..exceptions import ConfigurationError
from ..queue import DEFAULT_URL as QUEUE_URL
from ..queue import SCHEMES as QUEUE_SCHEMES
from ..queue.rabbitmq import SCHEMES as RABBITMQ_SCHEMES
from ..webhooks.dedupe import SCHEMES as DEDUPE_SCHEMES

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*[:.][A-Za-z_]\w*$")
MAX_DURATION = 365 * 86400.0  # no setting of the service waits longer than a year
ROLES = ("web", "worker", "scheduler")  # what ``otc serve --role`` may run


def parse_duration(value: str | float) -> float:
    """Seconds in ``30``, ``"30s"``, ``"5m"``, ``"1.5h"``, ``"250ms"`` or ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError("use a duration like 30s, 5m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"use a duration like 30s, 5m or 1h (got {value!r})")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(seconds):  # nan would turn a check off, inf never end a wait
        raise ValueError(f"a duration must be a finite number of seconds (got {value!r})")
    if seconds <= 0:
        raise ValueError("a duration must be more than zero")
    if seconds > MAX_DURATION:  # a wait that long overflows timers and Redis expiries
        raise ValueError(f"a duration must be at most 365d (got {value!r})")
    return seconds


class _Section(BaseModel):
    # TOML has nan and inf: no setting of the service means either (every float field).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _base_url(value: str) -> str:
    normalize_base_url(value)  # the client's own check
    return value


# Seconds, given as a number or a duration like 30s, 5m or 1h.
Duration = Annotated[float, BeforeValidator(parse_duration)]

# Each URL is checked against the schemes its engine's factory takes (listed beside it).
BaseUrl = Annotated[str, AfterValidator(_base_url)]
QueueUrl = Annotated[str, AfterValidator(scheme_check(QUEUE_SCHEMES, "queue"))]
RabbitUrl = Annotated[str, AfterValidator(scheme_check(RABBITMQ_SCHEMES, "RabbitMQ"))]
CacheUrl = Annotated[str, AfterValidator(check_cache_url)]
StateUrl = Annotated[str, AfterValidator(scheme_check(STATE_SCHEMES, "state"))]
DedupeUrl = Annotated[str, AfterValidator(scheme_check(DEDUPE_SCHEMES, "dedupe"))]


class ApiSection(_Section):
    """Credentials: a named environment, or a key from an environment variable."""

    environment: Literal["development", "staging", "production"] | None = None
    api_key_env: str = "OPEN_TO_CLOSE_API_KEY"
    base_url: BaseUrl | None = None
    timeout: Annotated[float, Field(gt=0)] | None = None
    max_retries: Annotated[int, Field(ge=0)] | None = None
    # The live model's client settings (docs/configuration.md); checked by the client.
    rate_limit: str | float | None = None
    team_member_id: Annotated[int, Field(gt=0)] | None = None
    time_zone_id: Annotated[int, Field(gt=0)] | None = None
    field_aliases: dict[str, str] | None = None
    status_map: dict[str, str] | None = None
    retry_posts: Literal["safe", "always"] | None = None

    def client_options(self) -> dict[str, Any]:
        """The settings given, as keywords of the client."""
        names = ("timeout", "max_retries", *LIVE_SETTINGS)
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _finite_rate(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be a finite number (got {value!r})")
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | float | None) -> str | float | None:
        if value is not None:
            try:
                parse_rate(value)
            except ConfigurationError as exc:
                raise ValueError(exc.message) from None
        return value


class BuiltinHandlers(_Section):
    """Handlers users can switch on without code."""

    publish_to_rabbitmq: RabbitUrl | None = None  # property changes to the four queues
    rabbitmq_prefix: str = ""  # put before the queue names (several environments, one broker)
    invalidate_cache: bool = False
    record_task_completions: bool = False


class WebhooksSection(_Section):
    path: str = "/webhook/otc"
    secret_env: list[str] = Field(default_factory=lambda: ["OTC_WEBHOOK_SECRET"])
    max_body_bytes: Annotated[int, Field(gt=0)] = 1024 * 1024
    tolerance: Duration = 300.0
    dedupe_url: DedupeUrl | None = None  # default: [state] url
    handlers: dict[str, list[str]] = Field(default_factory=dict)
    builtin: BuiltinHandlers = BuiltinHandlers()

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must start with '/' (got {value!r})")
        return value

    @field_validator("secret_env", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("handlers")
    @classmethod
    def _dotted(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for event, paths in value.items():
            for path in paths:
                if not _DOTTED.match(path):
                    raise ValueError(
                        f"handler for {event!r} must be a dotted path like "
                        f"'myapp.hooks:on_created' (got {path!r})"
                    )
        return value

    def secrets(self) -> list[Secret]:
        """The webhook secrets, read from the environment variables named."""
        missing = [name for name in self.secret_env if not os.environ.get(name)]
        if missing:
            raise ConfigurationError(
                f"webhooks.secret_env: set the environment variable(s) {', '.join(missing)} "
                "to the webhook signing secret"
            )
        return [Secret(os.environ[name]) for name in self.secret_env]


class QueueSection(_Section):
    url: QueueUrl = QUEUE_URL
    concurrency: Annotated[int, Field(ge=1, le=256)] = 2
    visibility_timeout: Duration = 30.0


class CacheSection(_Section):
    url: CacheUrl = "memory"
    default_ttl: Duration = 300.0
    prefix: Annotated[str, Field(max_length=64)] = "otc-cache:"  # Redis key prefix

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_prefix(value)


class StateSection(_Section):
    url: StateUrl = STATE_URL  # sync, the change feed, webhook dedupe and completions


class SyncJob(_Section):
    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.-]+$")]
    direction: Literal["push", "pull", "two-way"] = "push"
    source: str  # a CSV or JSON Lines path, or a SQL URL (with ``table``)
    table: str | None = None
    mapping: str | None = None
    strategy: Literal["latest_wins", "otc_wins", "external_wins", "manual", "merge"] = "latest_wins"
    every: Duration = 300.0

    @model_validator(mode="after")
    def _sql_needs_table(self) -> SyncJob:
        if "://" in self.source and not self.table:
            raise ValueError(f"source {self.source!r} is a database URL: also give 'table'")
        return self


class SyncSection(_Section):
    jobs: list[SyncJob] = Field(default_factory=list)

    @field_validator("jobs")
    @classmethod
    def _unique(cls, jobs: list[SyncJob]) -> list[SyncJob]:
        names = [job.name for job in jobs]
        doubles = sorted({name for name in names if names.count(name) > 1})
        if doubles:
            raise ValueError(f"job names must be unique; repeated: {', '.join(doubles)}")
        return jobs


def _properties_only() -> list[Literal["properties", "tasks"]]:
    return ["properties"]


class EventsSection(_Section):
    """Where events come from: signed webhooks (the guide's; a sandbox extension) or a
    change feed that reads the API (the live API sends no webhooks)."""

    source: Literal["webhooks", "poll"] = "webhooks"
    every: Duration = 60.0
    budget: Annotated[float, Field(gt=0, le=1)] | None = None
    resources: list[Literal["properties", "tasks"]] = Field(default_factory=_properties_only)
    name: Annotated[str, Field(min_length=1, max_length=100)] = "default"
    emit_existing: bool = False  # a first poll reports what exists as created

    @field_validator("resources")
    @classmethod
    def _properties(cls, value: list[str]) -> list[str]:
        if "properties" not in value:
            raise ValueError("must include 'properties' (and may add 'tasks')")
        return value


class ServerSection(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    shutdown_grace: Duration = 30.0


class MetricsSection(_Section):
    enabled: bool = True
    multiprocess_dir: str | None = None


class ServiceConfig(_Section):
    api: ApiSection = ApiSection()
    webhooks: WebhooksSection = WebhooksSection()
    queue: QueueSection = QueueSection()
    cache: CacheSection = CacheSection()
    state: StateSection = StateSection()
    sync: SyncSection = SyncSection()
    events: EventsSection = EventsSection()
    server: ServerSection = ServerSection()
    metrics: MetricsSection = MetricsSection()
    console: ConsoleSection = ConsoleSection()


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(error: PydanticValidationError) -> list[str]:
    """One line per problem: the key's path, then what is wrong."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not str(p).startswith("function-"))
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling against docs/service.md)"
        elif item["type"] == "missing":
            message = "required"
        lines.append(f"{_where(loc)}: {message}")
    return lines


def parse_service_config(data: dict[str, Any], source: str = "config") -> ServiceConfig:
    try:
        return ServiceConfig.model_validate(data)
    except PydanticValidationError as exc:
        problems = describe(exc)
        raise ConfigurationError(f"{source} is invalid:\n  " + "\n  ".join(problems)) from None


def load_service_config(path: str | os.PathLike[str] | None) -> ServiceConfig:
    """Read and validate ``otc.toml``; ``None`` gives the embedded defaults."""
    if path is None:
        return ServiceConfig()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{file} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{file} is not valid TOML: {exc}") from None
    return parse_service_config(data, str(file))
