"""``[console]`` in ``otc.toml``: whether the operations console is served, and how.

The console is closed by default: it is on only when the sign-in token's variable
(``token_env``, ``OTC_CONSOLE_TOKEN`` unless set) holds a token, and ``enabled`` is not
``false``. Without the token ``/console`` answers 404, whatever ``enabled`` says.
"""

from __future__ import annotations

import os
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .._redact import Secret

TOKEN_ENV = "OTC_CONSOLE_TOKEN"  # noqa: S105 - the variable's name, not a token
MIN_TOKEN = 12  # characters: a shorter sign-in token is refused at start-up
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConsoleSection(BaseModel):
    """The console's settings (see docs/console.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    enabled: bool | None = None  # None: on when the token is set
    token_env: str = TOKEN_ENV
    session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 12.0
    page_size: Annotated[int, Field(ge=5, le=500)] = 50
    trust_proxy: bool = False  # honour X-Forwarded-Proto (Secure cookies behind TLS)
    # The event journal behind the Events page: bounded by count and by age.
    journal: bool | None = None  # None: kept while the console is on
    keep_events: Annotated[int, Field(ge=100, le=10_000_000)] = 20_000
    keep_days: Annotated[float, Field(gt=0, le=3650)] = 7.0

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(
                f"must be an environment variable name like OTC_CONSOLE_TOKEN (got {value!r})"
            )
        return value

    def token(self) -> Secret | None:
        """The sign-in token, or None when the console is off."""
        if self.enabled is False:
            return None
        value = os.environ.get(self.token_env, "")
        return Secret(value) if value else None

    @property
    def active(self) -> bool:
        return self.token() is not None

    @property
    def journal_on(self) -> bool:
        """Whether the service records received events (the Events page reads them)."""
        return self.active if self.journal is None else self.journal
