"""Demo steps for events: a change feed reading the API (what works against the live API,
which sends no webhooks), then the sandbox's signed webhooks -> receiver -> durable queue ->
worker."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
from rich.table import Table

from ..events import ChangeFeed
from ..queue import connect
from ..webhooks import WebhookHandler, create_webhook_app
from ..webhooks.server import BackgroundServer
from ._context import DemoContext


def change_feed(ctx: DemoContext) -> None:
    ctx.step("Events without webhooks: a change feed reads the API and runs the handlers")
    client = ctx.client
    ctx.console.print(
        "The live API sends no webhooks. A ChangeFeed pages through the properties, compares "
        "each with its last snapshot, and hands the guide's events to the same handlers."
    )
    seen: list[str] = []
    with tempfile.TemporaryDirectory(prefix="otc-demo-") as tmp:
        handler = WebhookHandler("unused", dedupe=f"sqlite:///{tmp}/seen.db")

        @handler.on("property.status_changed")
        def status_changed(event: dict[str, Any]) -> None:
            record = event["property"]
            seen.append(f"{record['address']}: {event['previous_status']} -> {record['status']}")

        with ChangeFeed(client, handler, state=f"sqlite:///{tmp}/feed.db") as feed:
            first = feed.poll_once()
            ctx.console.print(
                f"first poll: {len(first)} property.created events ({feed.requests} requests "
                "for the scan)"
            )
            target = client.properties.list_properties({"address": "9 Elm Ct"})[0]
            client.properties.update_property(target["id"], {"status": "sold"})
            found = feed.poll_once()
            again = feed.poll_once()
        handler.close()
    ctx.console.print(
        f"after a status change: {', '.join(e['event_type'] for e in found)}; the handler saw "
        f"[bold]{'; '.join(seen)}[/]; a third poll found {len(again)} events"
    )
    ctx.results["change feed events handled"] = len(seen)


def webhooks_to_workers(ctx: DemoContext) -> None:
    ctx.step("Events: signed webhooks, queued durably, handled by a worker")
    sb, client = ctx.sandbox, ctx.client
    ctx.console.print(
        "The guide's signed webhooks, as the sandbox sends them (an extension: the live API "
        "sends none, see docs/fidelity.md); property events carry the record with its flat "
        "keys."
    )
    handled: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="otc-demo-") as tmp:
        handler = WebhookHandler(sb.webhook_secret or "", dedupe=f"sqlite:///{tmp}/seen.db")

        @handler.on("*")
        def record(event: dict[str, Any]) -> None:
            handled[event["event_type"]] += 1

        @handler.on("note.created")
        def broken(event: dict[str, Any]) -> None:
            raise RuntimeError("the CRM is down (a deliberately failing handler)")

        queue = connect(f"sqlite:///{Path(tmp) / 'queue.db'}")
        app = create_webhook_app(handler, queue=queue)
        # A short backoff so the failing handler reaches the dead-letter store in a blink.
        queue.task(name="otc.webhook", max_retries=2, retry_backoff=0.05)(handler.dispatch)
        with BackgroundServer(app) as receiver:
            url = f"{receiver.url}/webhook/otc"
            subscription = sb.subscribe(url)
            prop = client.properties.create_property({"address": "1 Event Way", "status": "active"})
            client.properties.update_property(prop["id"], {"status": "under_contract"})
            task = client.property_tasks.create_property_task(prop["id"], {"title": "Appraisal"})
            client.property_tasks.update_property_task(
                prop["id"], task["id"], {"status": "completed"}
            )
            client.property_notes.create_property_note(prop["id"], {"content": "Buyer approved"})
            sb.wait_for_webhooks(10)
            queue.worker().run(stop_when_idle=True)
            captured = sb.deliveries()[0]
            replay = httpx2.post(url, content=captured["body"], headers=captured["headers"])
            sb.unsubscribe(subscription["id"])

        table = Table("event", "delivered", "handled")
        delivered = Counter(d["event_type"] for d in sb.deliveries() if d["status"] == "delivered")
        for event_type, count in delivered.items():
            table.add_row(event_type, str(count), str(handled.get(event_type, 0)))
        ctx.console.print(table)
        stats = queue.stats()
        letters = queue.dead_letters()
        ctx.console.print(
            f"queue: {stats['done']} tasks done, {stats['dead']} dead-lettered; "
            f"replayed delivery answered [bold]{replay.status_code} {replay.json()['status']}[/]"
        )
        for letter in letters:
            ctx.console.print(
                f"dead letter #{letter['id']}: {letter['payload']['event_type']} after "
                f"{letter['attempts']} attempts ({letter['error']}); "
                "on your own queue, 'otc queue dead-letters --retry ID' runs one again "
                "(the demo's queue is deleted when it ends)"
            )
        ctx.results["webhooks delivered"] = sum(delivered.values())
        ctx.results["events handled by the worker"] = sum(handled.values())
        ctx.results["dead letters"] = len(letters)
        queue.close()
        handler.close()


STEPS = [change_feed, webhooks_to_workers]
