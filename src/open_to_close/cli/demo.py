"""``otc demo``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        seed: int = typer.Option(
            0, min=0, metavar="N", help="Sample properties to start the sandbox with."
        ),
    ) -> None:
        """Run the SDK against a local sandbox and show each part at work."""
        from ..demo import run_demo

        context = run_demo(seed=seed)
        if context.results.get("duplicates"):
            raise typer.Exit(1)
