"""What ``otc serve`` will need beyond a valid file: checked by ``otc serve --check``.

A file can be valid TOML with every key right and still not start: the API key's variable
unset, the webhook secret unset, a sync job's source file missing. Each problem is one line
naming the key and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import _constants as C
from ..console.settings import MIN_TOKEN
from .config import ServiceConfig


def startup_problems(config: ServiceConfig) -> list[str]:
    """Every reason ``otc serve`` with ``config`` would fail to start or to work."""
    problems: list[str] = []
    api = config.api
    key_var = f"{C.API_KEY_ENV}_{api.environment.upper()}" if api.environment else api.api_key_env
    if not os.environ.get(key_var):
        problems.append(f"api: the API key's variable {key_var} is not set")
    hooks = config.webhooks
    unset = [name for name in hooks.secret_env if not os.environ.get(name)]
    if unset and config.events.source == "webhooks":
        problems.append(
            f"webhooks.secret_env: set {', '.join(unset)} to the webhook signing secret "
            '(or use [events] source = "poll")'
        )
    console = config.console
    token = os.environ.get(console.token_env, "")
    if console.enabled and not token:
        problems.append(
            f"console.enabled: set {console.token_env} to a sign-in token, "
            "else the console stays off"
        )
    elif console.enabled is not False and 0 < len(token) < MIN_TOKEN:
        problems.append(
            f"console: the token in {console.token_env} is shorter than {MIN_TOKEN} characters"
        )
    for n, job in enumerate(config.sync.jobs):
        where = f"sync.jobs[{n}] ({job.name})"
        if "://" not in job.source and job.direction != "pull" and not Path(job.source).is_file():
            problems.append(f"{where}.source: no file {job.source}")
        if job.mapping and not Path(job.mapping).is_file():
            problems.append(f"{where}.mapping: no file {job.mapping}")
    return problems
