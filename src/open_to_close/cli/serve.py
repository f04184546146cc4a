"""``otc serve`` and ``otc scheduler``: the integration service from ``otc.toml``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._options import SERVICE_FILE, config_option

if TYPE_CHECKING:
    from ..service.config import ServiceConfig

ConfigOption = Annotated[
    Path | None,
    config_option("The service's otc.toml (default: ./otc.toml if present, else the defaults)."),
]


def _load(config: Path | None) -> ServiceConfig:
    from ..exceptions import ConfigurationError
    from ..service.config import load_service_config

    if config is None and SERVICE_FILE.is_file():
        config = SERVICE_FILE
    try:
        return load_service_config(config)
    except ConfigurationError as exc:
        typer.echo(f"otc: {exc.message}", err=True)
        raise typer.Exit(2) from None


def serve_roles(
    config: Path | None, roles: list[str], host: str | None = None, port: int | None = None
) -> None:
    """Run ``roles`` of the service from ``config`` until SIGTERM or Ctrl-C."""
    import os

    from rich.console import Console

    from ..exceptions import ConfigurationError

    settings = _load(config)
    if settings.metrics.multiprocess_dir:
        # Before prometheus_client is imported: it picks file-backed values at import.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", settings.metrics.multiprocess_dir)
    from ..service.components import Components
    from ..service.runner import Service

    console = Console(stderr=True)

    def started(service: Service) -> None:
        if "web" in service.roles:
            console.print(
                f"otc serve: [bold]{', '.join(service.roles)}[/] — webhooks at "
                f"{service.url}{settings.webhooks.path}, health at {service.url}/health, "
                f"metrics at {service.url}/metrics"
                + (f", console at {service.url}/console/" if settings.console.active else "")
            )
        else:
            console.print(f"otc serve: [bold]{', '.join(service.roles)}[/]")

    try:
        Service(Components(settings), roles, host=host, port=port).run(started)
    except ConfigurationError as exc:
        console.print(f"[red]otc: {exc.message}[/]")
        raise typer.Exit(2) from None
    except OSError as exc:  # the port is taken, or the host is not ours
        where = (
            f"{host or settings.server.host}:{port if port is not None else settings.server.port}"
        )
        console.print(f"[red]otc: can't listen on {where}: {exc.strerror or exc}[/]")
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    @app.command(short_help="Run the integration: webhooks, workers, sync jobs.")
    def serve(
        config: ConfigOption = None,
        role: Annotated[
            list[str] | None,
            typer.Option(
                "--role",
                metavar="ROLE",
                help="Run only this role: web, worker or scheduler (repeatable; default: all).",
            ),
        ] = None,
        host: Annotated[
            str | None, typer.Option(metavar="HOST", help="Interface of the web role.")
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(min=0, max=65535, metavar="PORT", help="Port of the web role."),
        ] = None,
        check: Annotated[
            bool,
            typer.Option(
                "--check",
                help="Check the file and what it needs (key, secret, source files); exit.",
            ),
        ] = False,
    ) -> None:
        """Run the integration: webhooks in, workers, sync jobs, /health and /metrics."""
        from ..service.config import ROLES  # not runner: prometheus_client waits for _serve

        roles = role or list(ROLES)
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise typer.BadParameter(
                f"{', '.join(bad)}: use web, worker or scheduler", param_hint="--role"
            )
        if check:
            from ..service.checks import startup_problems

            problems = startup_problems(_load(config))
            if problems:
                for problem in problems:
                    typer.echo(f"otc: {problem}", err=True)
                raise typer.Exit(2)
            typer.echo("config OK")
            return
        serve_roles(config, roles, host, port)

    @app.command(short_help="Run only the sync scheduler.")
    def scheduler(config: ConfigOption = None) -> None:
        """Run only the sync scheduler (same as: otc serve --role scheduler)."""
        serve_roles(config, ["scheduler"])
