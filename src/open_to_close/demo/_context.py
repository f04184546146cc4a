"""What the demo's steps share: the console, the sandbox, a client, and their results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from .._hooks import Call, Hook
from ..client import OpenToCloseAPI
from ..exceptions import OpenToCloseAPIError
from ..sandbox import SandboxServer


class RetryCounter(Hook):
    """Counts calls and retries as they go through the transport."""

    def __init__(self) -> None:
        self.calls = 0
        self.retries = 0
        self.reasons: dict[str, int] = {}

    def on_request(self, call: Call) -> None:
        self.calls += 1

    def on_retry(self, call: Call, error: OpenToCloseAPIError, delay: float) -> None:
        self.retries += 1
        reason = type(error).__name__
        if error.status_code:
            reason += f" {error.status_code}"
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


@dataclass
class DemoContext:
    console: Console
    sandbox: SandboxServer
    results: dict[str, Any] = field(default_factory=dict)
    retries: RetryCounter = field(default_factory=RetryCounter)
    _client: OpenToCloseAPI | None = None

    @property
    def client(self) -> OpenToCloseAPI:
        """A client bound to the sandbox, with quick retries so the demo stays short."""
        if self._client is None:
            self._client = OpenToCloseAPI(
                self.sandbox.api_key, self.sandbox.base_url, retry_backoff=0.05, max_retries=5
            )
            self._client.add_hook(self.retries)
        return self._client

    def step(self, title: str) -> None:
        self.console.print()
        if len(title) + 4 > self.console.width:  # a rule would cut it: the title, then the rule
            self.console.print(f"[bold cyan]{title}")
            self.console.rule(style="cyan")
        else:
            self.console.rule(f"[bold cyan]{title}", align="left")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def print_summary(self) -> None:
        table = Table(title="Summary", show_header=True, header_style="bold")
        table.add_column("what")
        table.add_column("value", justify="right")
        for name, value in self.results.items():
            table.add_row(name, str(value))
        table.add_row("API calls made by the client", str(self.retries.calls))
        table.add_row("retries (all recovered)", str(self.retries.retries))
        stats = self.sandbox.stats()
        table.add_row("requests served by the sandbox", str(stats["total"]))
        table.add_row("faults injected by the sandbox", str(stats["faults"]))
        self.console.print()
        self.console.print(table)
