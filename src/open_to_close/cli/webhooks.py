"""``otc webhooks serve`` (the receiver) and ``otc webhooks send-test`` (a signed sample)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from .._urls import STATE_URL
from ._errors import FAILED, fail
from .queue import QUEUE_ENV

SECRET_ENV = "OTC_WEBHOOK_SECRET"  # noqa: S105 - the name of a variable, not a secret

SecretOption = Annotated[
    list[str] | None,
    typer.Option(
        "--secret",
        "-s",
        envvar=SECRET_ENV,
        metavar="SECRET",
        help=f"Webhook secret (repeat during a rotation; or ${SECRET_ENV}).",
        show_default=False,
    ),
]


def _secrets(values: list[str] | None) -> list[str]:
    found = [v for value in values or [] for v in value.split() if v]
    if not found:
        raise typer.BadParameter(f"give the webhook secret: --secret or ${SECRET_ENV}")
    return found


def serve(
    secret: SecretOption = None,
    handler: Annotated[
        str | None,
        typer.Option(
            "--handler",
            metavar="MODULE:NAME",
            help="Your WebhookHandler (its handlers run here, or in the workers when --queue "
            "is given).",
        ),
    ] = None,
    queue: Annotated[
        str | None,
        typer.Option(
            "--queue",
            "-q",
            envvar=QUEUE_ENV,
            metavar="URL",
            help="Queue events here (202) for workers.",
        ),
    ] = None,
    dedupe: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help=f"Where seen event ids go: a SQL or redis:// URL. Default: {STATE_URL} "
            "(otc serve's too).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(min=0, max=65535, metavar="PORT", help="Port (0: any free one).")
    ] = 8000,
    path: Annotated[str, typer.Option(metavar="PATH", help="Route of the receiver.")] = (
        "/webhook/otc"
    ),
    max_body: Annotated[
        int, typer.Option("--max-body", min=1, metavar="BYTES", help="Largest body, bytes.")
    ] = 1024 * 1024,
) -> None:
    """Receive signed webhooks: verify, dedupe, then run handlers or queue the event."""
    import uvicorn
    from rich.console import Console
    from rich.markup import escape

    from .._serving import bind_socket
    from ..webhooks import WebhookHandler, create_webhook_app
    from ._imports import load
    from .queue import open_queue

    if handler is not None:
        found = load(handler, "--handler")
        if not isinstance(found, WebhookHandler):
            raise typer.BadParameter(f"{handler} is not a WebhookHandler", param_hint="--handler")
        hooks = found
        if secret:  # else the handler keeps the secrets it was made with
            hooks.secrets = WebhookHandler(_secrets(secret)).secrets
    else:
        hooks = WebhookHandler(_secrets(secret), dedupe=dedupe)
    q = open_queue(queue) if queue else None
    try:
        app = create_webhook_app(hooks, path, q, max_body=max_body)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise typer.BadParameter(f"can't listen on {host}:{port}: {exc.strerror}") from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}{path}"
    mode = f"queue {q!r}" if q is not None else "handlers run inline"
    Console().print(f"Receiving webhooks at [cyan]{escape(url)}[/] ({escape(mode)}). Stop: Ctrl-C")
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        hooks.close()
        if q is not None:
            q.close()


def sample_event(event_type: str) -> dict[str, Any]:
    """A plausible event of ``event_type``, shaped as the sandbox sends it."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    record: dict[str, Any] = {"id": 1, "created_at": now, "updated_at": now}
    noun = event_type.split(".")[0]
    event: dict[str, Any] = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "event_type": event_type,
        "created_at": now,
    }
    if noun == "property":
        record |= {"address": "123 Main St", "city": "Austin", "status": "under_contract"}
        event["property"] = record
        if event_type == "property.status_changed":
            event["previous_status"] = "active"
    else:
        record |= {"property_id": 1, "title": "Final walkthrough", "status": "completed"}
        event[noun] = record
    return event


def send_test(
    url: Annotated[
        str,
        typer.Argument(metavar="URL", help="The receiver, e.g. http://127.0.0.1:8000/webhook/otc"),
    ],
    secret: SecretOption = None,
    event: Annotated[
        str, typer.Option(metavar="TYPE", help="Event type to send.")
    ] = "property.created",
    times: Annotated[
        int, typer.Option(min=1, metavar="N", help="Send the same delivery this many times.")
    ] = 1,
) -> None:
    """Send a signed sample event (both signature schemes) and show the answer."""
    import httpx2
    from rich.console import Console
    from rich.markup import escape

    from ..sandbox.events import EVENT_TYPES
    from ..webhooks.signatures import sign_headers

    if event not in EVENT_TYPES:
        raise typer.BadParameter(f"use one of: {', '.join(EVENT_TYPES)}", param_hint="--event")
    key = _secrets(secret)[0]
    payload = sample_event(event)
    body = json.dumps(payload).encode()
    console = Console()
    failed = False
    with httpx2.Client(timeout=10) as http:
        for _ in range(times):
            try:
                answer = http.post(
                    url, content=body, headers=sign_headers(key, body, payload["id"])
                )
            except httpx2.HTTPError as exc:
                fail(f"can't reach {url}: {exc}", FAILED)
            failed |= answer.status_code >= 300
            console.print(
                f"{event} {payload['id']} -> [bold]{answer.status_code}[/] {escape(answer.text)}"
            )
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``otc webhooks`` group."""
    group = typer.Typer(
        rich_markup_mode=None, help="Receive and test signed webhooks.", no_args_is_help=True
    )
    group.command("serve", short_help="Receive signed webhooks and run handlers.")(serve)
    group.command("send-test", short_help="Send a signed sample event; show the answer.")(send_test)
    app.add_typer(group, name="webhooks")
