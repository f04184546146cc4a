"""The demo's events step: deliveries handled by a worker, the failing one dead-lettered."""

from __future__ import annotations

from rich.console import Console

from open_to_close.demo._context import DemoContext
from open_to_close.demo.events_steps import webhooks_to_workers
from open_to_close.sandbox import SandboxServer


def test_events_step() -> None:
    console = Console(record=True, width=120)
    with SandboxServer(api_key="demo-k", webhook_secret="demo-s") as sb:
        context = DemoContext(console=console, sandbox=sb)
        try:
            webhooks_to_workers(context)
        finally:
            context.close()
    results = context.results
    assert results["webhooks delivered"] == 7
    assert results["events handled by the worker"] == 6  # all but the failing note.created
    assert results["dead letters"] == 1
    out = console.export_text()
    assert "200 duplicate" in out and "note.created after 3 attempts" in out
