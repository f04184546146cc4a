"""Demo step for ``otc serve``: the whole integration from one config, for a few seconds."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from prometheus_client.parser import text_string_to_metric_families
from rich.table import Table

from ..client import OpenToCloseAPI
from ..service.components import Components
from ..service.config import parse_service_config
from ..service.runner import Service
from ._context import DemoContext

_SECRET_ENV = "OTC_DEMO_WEBHOOK_SECRET"  # noqa: S105 - the name of a variable, not a secret
_LISTINGS = (
    "id,street_address,city,state,postal_code,price,bed_count,bath_count,sqft,type,status\n"
    "SVC-1,1 Service Way,Boise,ID,83702,410000,3,2,1600,single_family,for_sale\n"
    "SVC-2,2 Service Way,Boise,ID,83702,455000,3,2,1750,single_family,for_sale\n"
    "SVC-3,3 Service Way,Boise,ID,83702,389000,2,1,1200,condo,pending\n"
)


def _metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(httpx2.get(f"{url}/metrics").text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _total(metrics: dict[Any, float], name: str, **labels: str) -> int:
    return int(
        sum(
            value
            for (sample, sample_labels), value in metrics.items()
            if sample == name and all((k, v) in sample_labels for k, v in labels.items())
        )
    )


def run_the_service(ctx: DemoContext) -> None:
    ctx.step("Service: otc serve on embedded defaults, driven through webhooks")
    sb = ctx.sandbox
    previous = os.environ.get(_SECRET_ENV)
    os.environ[_SECRET_ENV] = sb.webhook_secret or ""
    with tempfile.TemporaryDirectory(prefix="otc-serve-demo-") as tmp:
        listings = Path(tmp) / "listings.csv"
        listings.write_text(_LISTINGS)
        config = parse_service_config(
            {
                "webhooks": {
                    "secret_env": [_SECRET_ENV],
                    "builtin": {"invalidate_cache": True, "record_task_completions": True},
                },
                "queue": {"url": f"sqlite:///{tmp}/queue.db", "concurrency": 2},
                "state": {"url": f"sqlite:///{tmp}/state.db"},
                "sync": {"jobs": [{"name": "listings", "source": str(listings), "every": "1h"}]},
                "server": {"port": 0, "shutdown_grace": 5},
            }
        )
        client = OpenToCloseAPI(sb.api_key, sb.base_url)
        try:
            with Service(Components(config, client=client)) as service:
                _drive(ctx, service)
        finally:
            if previous is None:
                os.environ.pop(_SECRET_ENV, None)
            else:
                os.environ[_SECRET_ENV] = previous


def _drive(ctx: DemoContext, service: Service) -> None:
    sb, components = ctx.sandbox, service.components
    subscription = sb.subscribe(f"{service.url}{components.config.webhooks.path}")
    ctx.console.print(f"serving webhooks, /health and /metrics at [cyan]{service.url}[/]")
    with OpenToCloseAPI(sb.api_key, sb.base_url) as elsewhere:  # someone else's edits
        prop = elsewhere.properties.create_property({"address": "9 Serve St", "status": "active"})
        before = components.cache.get_property(prop["id"])["status"]
        elsewhere.properties.update_property(prop["id"], {"status": "under_contract"})
        for title in ("Inspection", "Appraisal"):
            task = elsewhere.property_tasks.create_property_task(prop["id"], {"title": title})
            elsewhere.property_tasks.update_property_task(
                prop["id"], task["id"], {"status": "completed"}
            )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        stats = components.queue.stats()
        busy = stats["pending"] + stats["running"]
        if sb.wait_for_webhooks(0.2) and busy == 0 and "listings" in service.scheduler.reports:
            break
        time.sleep(0.1)
    sb.unsubscribe(subscription["id"])
    after = components.cache.get_property(prop["id"])["status"]
    health = httpx2.get(f"{service.url}/health").json()
    metrics = _metrics(service.url)
    sync_report = service.scheduler.reports.get("listings", {})

    ours = [d for d in sb.deliveries() if str(d.get("url", "")).startswith(service.url)]
    delivered = sum(d["status"] == "delivered" for d in ours)
    table = Table("part", "what it did")
    table.add_row("web", f"took {delivered} of {len(ours)} signed webhooks (202 once stored)")
    table.add_row(
        "worker",
        f"handled {_total(metrics, 'otc_service_events_total', outcome='handled')} events "
        f"through the built-in handlers; queue {components.queue.stats()}",
    )
    table.add_row("cache", f"status was {before!r}, after the webhook {after!r} (invalidated)")
    table.add_row(
        "task log", f"{len(components.task_completions.completions())} completed tasks recorded"
    )
    table.add_row(
        "scheduler",
        f"sync job 'listings': {sync_report.get('created', 0)} created, "
        f"{sync_report.get('errors', 0)} errors",
    )
    table.add_row("/health", f"{health['status']} ({', '.join(health.get('checks', {}))})")
    table.add_row(
        "/metrics",
        f"{_total(metrics, 'otc_api_requests_total')} API calls, "
        f"{_total(metrics, 'otc_cache_hits_total')} cache hits, "
        f"{_total(metrics, 'otc_sync_runs_total', outcome='ok')} sync run(s) ok",
    )
    ctx.console.print(table)
    ctx.results["service: events handled"] = _total(
        metrics, "otc_service_events_total", outcome="handled"
    )


STEPS = [run_the_service]
