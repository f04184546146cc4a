"""Demo steps for the client: create, list page by page, update, survive faults."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from ._context import DemoContext

LISTINGS = [
    ("123 Main St", "San Francisco", "CA", "94102", 850_000, 3, 2.0),
    ("45 Ocean Ave", "Santa Cruz", "CA", "95060", 1_250_000, 4, 3.0),
    ("9 Elm Ct", "Austin", "TX", "78701", 540_000, 2, 1.5),
    ("700 Pine Rd", "Denver", "CO", "80203", 675_000, 3, 2.5),
    ("18 Harbor Way", "Seattle", "WA", "98101", 910_000, 3, 2.0),
]


def create_properties(ctx: DemoContext) -> None:
    ctx.step("1. Create properties, each with a note and a task")
    client = ctx.client
    table = Table("id", "address", "city", "price", "note", "task")
    for n, (address, city, state, zip_code, price, beds, baths) in enumerate(LISTINGS):
        prop = client.properties.create_property(
            {
                "address": address,
                "city": city,
                "state": state,
                "zip_code": zip_code,
                "listing_price": price,
                "bedrooms": beds,
                "bathrooms": baths,
                "status": "active",
                "external_id": f"demo-{n}",
            }
        )
        note = client.property_notes.create_property_note(
            prop["id"], {"content": f"Listed {address} at ${price:,}"}
        )
        task = client.property_tasks.create_property_task(
            prop["id"], {"title": "Order inspection", "status": "pending"}
        )
        table.add_row(
            str(prop["id"]), address, city, f"${price:,}", f"#{note['id']}", f"#{task['id']}"
        )
    ctx.console.print(table)
    ctx.results["properties created"] = len(LISTINGS)


def list_page_by_page(ctx: DemoContext) -> None:
    ctx.step("2. List page by page (2 per page), then iterate all lazily")
    client = ctx.client
    offset, page_no = 0, 1
    while page := client.properties.list_properties({"limit": 2, "offset": offset}):
        addresses = ", ".join(p["address"] for p in page)
        ctx.console.print(f"page {page_no}: {addresses}")
        offset += len(page)
        page_no += 1
    total = sum(1 for _ in client.properties.iter_properties(page_size=2))
    ctx.console.print(f"iter_properties(page_size=2) yielded [bold]{total}[/] properties")


def update_one(ctx: DemoContext) -> None:
    ctx.step("3. Update one property (the server merges the fields sent)")
    client = ctx.client
    first = client.properties.list_properties({"external_id": "demo-0"})[0]
    updated = client.properties.update_property(
        first["id"], {"status": "under_contract", "listing_price": 835_000}
    )
    ctx.console.print(
        f"{updated['address']}: status [green]{updated['status']}[/], "
        f"price ${updated['listing_price']:,}, city still {updated['city']}"
    )
    ctx.results["properties updated"] = 1


def survive_faults(ctx: DemoContext) -> None:
    ctx.step("4. Survive faults: 30% of answers are 5xx, half of them after the write")
    client, sb = ctx.client, ctx.sandbox
    created = 0
    for round_ in range(2):
        sb.set_faults(rate=0.3, statuses=(500, 502, 503), after_commit=bool(round_))
        for n in range(10):
            client.properties.create_property(
                {"address": f"{n + 1} Fault Line Rd", "external_id": f"fault-{round_}-{n}"}
            )
            created += 1
    sb.set_faults()
    ids = Counter(
        p["external_id"]
        for p in client.properties.iter_properties()
        if str(p.get("external_id", "")).startswith("fault-")
    )
    duplicates = sum(count - 1 for count in ids.values())
    reasons = ", ".join(f"{k} x{v}" for k, v in sorted(ctx.retries.reasons.items())) or "none"
    ctx.console.print(
        f"created {created} properties through {sb.stats()['faults']} injected faults; "
        f"retries: {reasons}"
    )
    ctx.console.print(
        f"records on the server: {len(ids)}, duplicates: [bold]{duplicates}[/] "
        "(idempotency keys make retried creates safe)"
    )
    ctx.results["created under faults"] = len(ids)
    ctx.results["duplicates"] = duplicates


STEPS = [create_properties, list_page_by_page, update_one, survive_faults]
