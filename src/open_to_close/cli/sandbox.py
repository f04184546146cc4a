"""``otc sandbox``: serve a local Open To Close API until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._urls import HOME


def _rate_limit(value: str | None) -> str | None:
    if value is None:
        return None
    from ..sandbox.limits import parse_rate_limit

    try:
        parse_rate_limit(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a rate limit: use N/s or N/m with N >= 1, e.g. 1000/m"
        ) from None
    return value


def _fault_rate(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{value} is not a fraction: use a number from 0.0 to 1.0")
    return value


def sandbox(
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int,
        typer.Option(min=0, max=65535, metavar="PORT", help="Port to listen on (0: any free)."),
    ] = 8765,
    api_key: Annotated[
        str, typer.Option("--api-key", metavar="KEY", help="The API key clients must send.")
    ] = "sandbox-key",
    webhook_secret: Annotated[
        str | None,
        typer.Option("--webhook-secret", metavar="SECRET", help="Secret that signs webhooks."),
    ] = None,
    db: Annotated[
        Path,
        typer.Option(metavar="FILE", help="SQLite file holding the data (kept across restarts)."),
    ] = Path(HOME, "sandbox.db"),
    seed: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", help="Sample properties to add when the database is empty."
        ),
    ] = 0,
    fault_rate: Annotated[
        float,
        typer.Option(
            "--fault-rate",
            callback=_fault_rate,
            metavar="FRACTION",
            help="Fraction of requests answered with a 5xx.",
        ),
    ] = 0.0,
    latency_ms: Annotated[
        int,
        typer.Option(
            "--latency-ms", min=0, metavar="MS", help="Delay added to every request, in ms."
        ),
    ] = 0,
    rate_limit: Annotated[
        str | None,
        typer.Option(
            "--rate-limit",
            callback=_rate_limit,
            metavar="RATE",
            help="Requests per key: N/s or N/m (e.g. 1000/m).",
        ),
    ] = None,
    idempotency_keys: Annotated[
        bool,
        typer.Option(
            "--idempotency-keys",
            help="Replay a POST repeated with the same Idempotency-Key (the live API doesn't).",
        ),
    ] = False,
    rate_limit_headers: Annotated[
        bool,
        typer.Option(
            "--rate-limit-headers",
            help="Send X-RateLimit-* headers and Retry-After on 429 (the live API doesn't).",
        ),
    ] = False,
    webhooks: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook",
            metavar="URL",
            help="Send signed webhooks for every event to this URL (repeatable; more via "
            "POST /v1/webhooks).",
        ),
    ] = None,
) -> None:
    """Serve a local Open To Close API (stateful, SQLite) until Ctrl-C.

    Like the live API: field-based properties, no rate-limit headers, no idempotency keys.

    --rate-limit-headers and --idempotency-keys turn those two extensions on.
    """
    import uvicorn
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel

    from .._serving import bind_socket
    from .._urls import make_home
    from ..sandbox.app import PREFIX, create_app

    if not api_key:
        raise typer.BadParameter("the API key must not be empty", param_hint="--api-key")
    if webhooks and not webhook_secret:
        raise typer.BadParameter(
            "--webhook needs --webhook-secret to sign the deliveries", param_hint="--webhook"
        )
    if db.exists() and db.is_dir():
        raise typer.BadParameter(f"{db} is a directory; give a file path", param_hint="--db")
    make_home(db)
    if not db.parent.exists():
        raise typer.BadParameter(f"directory {db.parent} does not exist", param_hint="--db")
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise typer.BadParameter(f"can't listen on {host}:{port}: {exc.strerror}") from None
    try:
        app = create_app(
            api_key=api_key,
            webhook_secret=webhook_secret,
            db=db,
            seed=seed,
            fault_rate=fault_rate,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            idempotency_keys=idempotency_keys,
            rate_limit_headers=rate_limit_headers,
        )
    except ValueError as exc:
        sock.close()
        raise typer.BadParameter(str(exc), param_hint="--db") from None
    core = app.state.sandbox
    for url in webhooks or []:
        try:
            core.webhooks.subscribe(url)
        except ValueError as exc:
            sock.close()
            core.close()
            raise typer.BadParameter(str(exc), param_hint="--webhook") from None
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{sock.getsockname()[1]}{PREFIX}"
    console = Console()
    console.print(
        Panel.fit(
            f"[bold]Open To Close sandbox[/] at [cyan]{escape(base_url)}[/]\n"
            f"data: {escape(str(db.resolve()))}\n\n"
            "Point the SDK at it:\n"
            f"  export OPEN_TO_CLOSE_BASE_URL={escape(base_url)}\n"
            f"  export OPEN_TO_CLOSE_API_KEY={escape(api_key)}\n\n"
            + "".join(f"webhooks -> {escape(url)}\n" for url in webhooks or [])
            + f"OpenAPI: {escape(base_url)}/openapi.json    Stop: Ctrl-C",
            title="otc sandbox",
        )
    )
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn shuts down cleanly, then re-raises the Ctrl-C it caught; that is the
        # normal way to stop, not an error.
        console.print("Sandbox stopped.")
    finally:
        sock.close()
        core.close()


def register(app: typer.Typer) -> None:
    """Add ``otc sandbox`` to the ``otc`` command."""
    app.command("sandbox", short_help="Serve a local Open To Close API (SQLite).")(sandbox)
