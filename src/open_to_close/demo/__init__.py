"""``otc demo``: the SDK at work against a local sandbox, step by step, readable.

Each part of the product adds a step (a function taking the :class:`DemoContext`); the
demo runs them in order and ends with a summary. It needs no network and no servers.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

from ..sandbox import SandboxServer
from ._context import DemoContext
from .cache_steps import STEPS as CACHE_STEPS
from .client_steps import STEPS as CLIENT_STEPS
from .events_steps import STEPS as EVENTS_STEPS
from .service_steps import STEPS as SERVICE_STEPS
from .sync_steps import STEPS as SYNC_STEPS

Step = Callable[[DemoContext], None]

STEPS: list[Step] = [*CLIENT_STEPS, *CACHE_STEPS, *SYNC_STEPS, *EVENTS_STEPS, *SERVICE_STEPS]


def run_demo(console: Console | None = None, *, seed: int = 0) -> DemoContext:
    """Start a sandbox, run every step against it, print a summary; return what happened."""
    console = console or Console()
    sandbox = SandboxServer(api_key="demo-key-0f3a9b", webhook_secret="demo-secret", seed=seed)  # noqa: S106 - a throwaway local sandbox
    with sandbox as sb:
        context = DemoContext(console=console, sandbox=sb)
        console.rule("[bold]Open To Close demo")
        console.print(f"Sandbox API running at [cyan]{sb.base_url}[/]")
        try:
            for step in STEPS:
                step(context)
        finally:
            context.close()
        context.print_summary()
    return context


__all__ = ["STEPS", "DemoContext", "run_demo"]
