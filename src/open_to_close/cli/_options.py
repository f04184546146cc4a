"""Options several commands share: how to reach the API."""

from __future__ import annotations

from typing import Annotated

import typer

ApiKey = Annotated[str | None, typer.Option("--api-key", help="Default: $OPEN_TO_CLOSE_API_KEY.")]
BaseUrl = Annotated[
    str | None, typer.Option("--base-url", help="Default: $OPEN_TO_CLOSE_BASE_URL.")
]
