"""Demo steps for the client: flat dicts in, the live field model on the wire, flat keys
out; pages clamped by the server; updates that follow ``Allow``; faults survived."""

from __future__ import annotations

import json
from collections import Counter

from rich.table import Table

from ..exceptions import AmbiguousWriteError
from ._context import DemoContext

LISTINGS = [
    ("123 Main St", "San Francisco", "CA", "94102", 850_000, 3, 2.0),
    ("45 Ocean Ave", "Santa Cruz", "CA", "95060", 1_250_000, 4, 3.0),
    ("9 Elm Ct", "Austin", "TX", "78701", 540_000, 2, 1.5),
    ("700 Pine Rd", "Denver", "CO", "80203", 675_000, 3, 2.5),
    ("18 Harbor Way", "Seattle", "WA", "98101", 910_000, 3, 2.0),
]


def _flat(
    address: str, city: str, state: str, zip_code: str, price: int, beds: int, baths: float
) -> dict[str, object]:
    return {
        "address": address,
        "city": city,
        "state": state,
        "zip_code": zip_code,
        "listing_price": price,
        "bedrooms": beds,
        "bathrooms": baths,
        "status": "active",
    }


def create_properties(ctx: DemoContext) -> None:
    ctx.step("1. Create properties from flat dicts, each with a note and a task")
    client = ctx.client
    fields = client.property_fields
    ctx.console.print(
        f"The account has [bold]{len(fields)}[/] property fields (GET /propertyFields, read "
        "once). A flat dict becomes the API's own form, with this account's field and option "
        "ids; the first one, as sent:"
    )
    first = _flat(*LISTINGS[0])
    body = {
        "team_member_id": fields.team_member_id(),
        "time_zone_id": 1,
        "fields": fields.codec.encode(first, creating=True),
    }
    ctx.console.print_json(json.dumps(body), indent=None)
    table = Table("id", "address", "status", "price", "note", "task")
    ids = []
    for listing in LISTINGS:
        prop = client.properties.create_property(_flat(*listing))
        ids.append(prop["id"])
        address, price = listing[0], listing[4]
        note = client.property_notes.create_property_note(
            prop["id"], {"content": f"Listed {address} at ${price:,}"}
        )
        task = client.property_tasks.create_property_task(
            prop["id"], {"title": "Order inspection", "status": "pending"}
        )
        table.add_row(
            str(prop["id"]),
            prop["address"],
            prop["status"],
            f"${prop['listing_price']:,}",
            f"#{note['id']}",
            f"#{task['id']}",
        )
    ctx.console.print(table)
    record = client.properties.retrieve_property(ids[0])
    by_key = {v["key"]: v["value"] for v in record["field_values"]}
    ctx.console.print(
        f"A read is the API's record ({len(record['field_values'])} field values; "
        f"contract_status = {by_key['contract_status']!r}) plus flat keys: "
        f"status = {record['status']!r}, address = {record['address']!r}"
    )
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
    total = sum(1 for _ in client.properties.iter_properties())
    ctx.console.print(
        f"iter_properties() yielded [bold]{total}[/] properties (the API gives at most 50 "
        "a page whatever limit asks; the client advances by what it got)"
    )


def update_one(ctx: DemoContext) -> None:
    ctx.step("3. Update one property (PUT is refused with Allow: PATCH; the client follows)")
    client = ctx.client
    first = client.properties.list_properties({"address": "123 Main St"})[0]
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
    ambiguous = 0
    for round_ in range(2):
        sb.set_faults(rate=0.3, statuses=(500, 502, 503), after_commit=bool(round_))
        for n in range(10):
            address = f"{n + 1} Fault Line Rd, round {round_ + 1}"
            while True:
                try:
                    client.properties.create_property({"address": address})
                    break
                except AmbiguousWriteError:
                    # The answer was lost: the record may exist. Look (reads retry through
                    # faults) before creating again.
                    ambiguous += 1
                    if any(client.properties.iter_properties({"address": address})):
                        break
    sb.set_faults()
    counts = Counter(
        p["address"]
        for p in client.properties.iter_properties()
        if "Fault Line" in str(p.get("address"))
    )
    duplicates = sum(count - 1 for count in counts.values())
    reasons = ", ".join(f"{k} x{v}" for k, v in sorted(ctx.retries.reasons.items())) or "none"
    ctx.console.print(
        f"20 properties through {sb.stats()['faults']} injected faults; retries: {reasons}; "
        f"{ambiguous} creates answered AmbiguousWriteError and were looked up, not resent"
    )
    ctx.console.print(
        f"records on the server: {len(counts)}, duplicates: [bold]{duplicates}[/] (the live "
        "API honours no idempotency key, so a create is resent only when it surely failed)"
    )
    ctx.results["created under faults"] = len(counts)
    ctx.results["duplicates"] = duplicates


STEPS = [create_properties, list_page_by_page, update_one, survive_faults]
