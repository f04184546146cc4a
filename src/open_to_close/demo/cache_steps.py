"""Demo step for the cache and monitoring: reads served from the cache, fresh after a
write, and the Prometheus metrics they leave behind."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from rich.table import Table

from ..cache import CachedOTCClient, MemoryCache
from ..monitoring import instrument
from ._context import DemoContext


def read_through_cache(ctx: DemoContext) -> None:
    ctx.step("Cache and metrics: repeated reads come from the cache, a write makes them fresh")
    client, console = ctx.client, ctx.console
    registry = CollectorRegistry()  # the demo's own: nothing global is touched
    hook = instrument(client, registry)
    try:
        with CachedOTCClient(client, MemoryCache(), registry=registry) as cached:
            found = client.properties.list_properties({"limit": 1})
            prop = found[0] if found else client.properties.create_property({"address": "1 Demo"})
            served_before = ctx.sandbox.stats()["total"]
            for _ in range(10):
                cached.get_property(prop["id"])
            served = ctx.sandbox.stats()["total"] - served_before
            console.print(f"10 reads of property #{prop['id']}: [bold]{served}[/] API call(s)")
            new_price = int(prop.get("listing_price") or 500_000) + 10_000
            cached.update_property(prop["id"], {"listing_price": new_price})
            fresh = cached.get_property(prop["id"])
            console.print(
                f"after update_property: listing_price ${fresh['listing_price']:,} "
                "(the write invalidated the cached copy)"
            )
            client.property_notes.create_property_note(prop["id"], {"content": "Seen by cache"})
            details = cached.get_property_with_details(prop["id"])
            console.print(
                f"details: {len(details['notes'])} note(s), {len(details['tasks'])} task(s) "
                "(a note written on the client directly invalidates them too)"
            )
    finally:
        client.remove_hook(hook)
    table = Table("metric", "labels", "value", title="A few metrics (as /metrics reports them)")
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.value:
                labels = ", ".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                table.add_row(sample.name, labels, f"{sample.value:g}")
    console.print(table)
    hits = registry.get_sample_value("otc_cache_hits_total", {"cache_type": "memory"}) or 0
    ctx.results["cache hits"] = int(hits)


STEPS = [read_through_cache]
