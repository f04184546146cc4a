"""The Conflicts page: a two-way sync (``strategy = "manual"``) between Open To Close and a
CRM's CSV file finds both sides edited; a person settles it field by field in the browser
and both systems change."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.sandbox import SandboxServer

from ._browser import Browser
from ._service import TOKEN, Console, job_toml, start_console

HEADER = ["id", "street_address", "city", "price", "status"]
ROWS = [
    ["c1", "1 Elm St", "Denver", "400000", "for_sale"],
    ["c2", "2 Oak Ave", "Austin", "300000", "for_sale"],
]


def write_crm(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as sink:
        csv.writer(sink).writerows([HEADER, *rows])


def read_crm(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as source:
        return {row["id"]: row for row in csv.DictReader(source)}


@pytest.fixture(scope="module")
def console(console_home: Path, sandbox: SandboxServer) -> Iterator[Console]:
    crm = console_home / "crm.csv"
    write_crm(crm, ROWS)
    jobs = job_toml("crm", crm, direction="two-way", strategy="manual")
    running = start_console(console_home / "service", sandbox, jobs=jobs)
    try:
        with running.api() as api:  # the first run (at start) copies the CRM's rows over
            wait_for_records(api, 2)
        yield running
    finally:
        running.stop()


def wait_for_records(api: Any, n: int) -> dict[str, dict[str, Any]]:
    from tests.service._helpers import wait_until

    found: dict[str, dict[str, Any]] = {}

    def enough() -> bool:
        found.clear()
        found.update({p["address"]: p for p in api.properties.iter_properties()})
        return len(found) == n

    wait_until(enough, 30, f"{n} properties in Open To Close")
    return found


def digits(text: str) -> str:
    return re.sub(r"\D", "", text.split(".")[0])


def cells(section: Any, field: str) -> dict[str, str]:
    row = section.find_element("css selector", f'tr[data-field="{field}"]')
    return {
        side: row.find_element("css selector", f".{side}").text.strip()
        for side in ("base", "otc", "external")
    }


def conflict_for(page: Browser, address_part: str) -> Any:
    for section in page.all('section[data-testid="conflict"]'):
        if address_part in section.text:
            return section
    raise AssertionError(f"no conflict showing {address_part!r} on {page.path}")


def run_now(page: Browser, job: str) -> None:
    page.open("/console/sync")
    page.click(f'[data-testid="job"][data-job="{job}"] [data-testid="run-now"]')
    assert page.flash()[0] == "ok"


def test_a_conflict_resolved_field_by_field_changes_both_systems(
    browser: Browser, console: Console, console_home: Path
) -> None:
    crm = console_home / "crm.csv"
    with console.api() as api:
        records = wait_for_records(api, 2)
        elm, oak = records["1 Elm St"], records["2 Oak Ave"]
        # Both sides edit the same fields of both records, differently.
        api.properties.update_property(
            elm["id"], {"address": "1 Elm Street", "listing_price": 410000, "city": "Boulder"}
        )
        api.properties.update_property(oak["id"], {"address": "2 Oak Avenue (otc)"})
    write_crm(
        crm,
        [
            ["c1", "1 Elm St (crm)", "Denver", "420000", "for_sale"],
            ["c2", "2 Oak Ave (crm)", "Austin", "300000", "for_sale"],
        ],
    )

    page = browser.signed_in(TOKEN)
    run_now(page, "crm")

    def two_conflicts() -> bool:
        page.open("/console/conflicts")
        return len(page.all('section[data-testid="conflict"]')) == 2

    page.wait(two_conflicts, "the two conflicts of the run", timeout=30)
    section = conflict_for(page, "1 Elm St (crm)")
    assert cells(section, "address") == {
        "base": "1 Elm St",
        "otc": "1 Elm Street",
        "external": "1 Elm St (crm)",
    }
    price = {side: digits(text) for side, text in cells(section, "listing_price").items()}
    assert price == {"base": "400000", "otc": "410000", "external": "420000"}

    # Per field: Open To Close's address, the CRM's price.
    conflict_id = section.get_attribute("data-conflict-id")
    scope = f'section[data-conflict-id="{conflict_id}"]'
    page.find(f'{scope} input[name="field:address"][value="otc"]').click()
    page.find(f'{scope} input[name="field:listing_price"][value="external"]').click()
    page.click(f'{scope} [data-testid="merge"]')
    assert page.flash()[0] == "ok"
    assert not page.all(scope), "a resolved conflict is no longer open"

    # The other record: the CRM's version as a whole.
    oak_section = conflict_for(page, "2 Oak Ave (crm)")
    oak_scope = f'section[data-conflict-id="{oak_section.get_attribute("data-conflict-id")}"]'
    page.click(f'{oak_scope} [data-testid="use-external"]')
    assert page.flash()[0] == "ok"
    assert not page.all('section[data-testid="conflict"]')

    run_now(page, "crm")  # as `otc sync conflicts resolve`: a run applies what is decided
    with console.api() as api:

        def applied() -> bool:
            now_elm = api.properties.retrieve_property(elm["id"])
            now_oak = api.properties.retrieve_property(oak["id"])
            rows = read_crm(crm)
            return (
                now_elm["listing_price"] == 420000
                and now_oak["address"] == "2 Oak Ave (crm)"
                and rows["c1"]["street_address"] == "1 Elm Street"
            )

        page.wait(applied, "the decisions applied in both systems", timeout=30)
        final = api.properties.retrieve_property(elm["id"])
    assert final["address"] == "1 Elm Street" and final["city"] == "Boulder"
    rows = read_crm(crm)
    assert rows["c1"]["street_address"] == "1 Elm Street"  # Open To Close's address
    assert digits(rows["c1"]["price"]) == "420000"  # the CRM's own price, kept
    assert rows["c1"]["city"] == "Boulder"  # changed on one side only: merged
    assert rows["c2"]["street_address"] == "2 Oak Ave (crm)"


def test_a_merge_without_a_choice_for_each_field_is_a_message(
    browser: Browser, console: Console, console_home: Path
) -> None:
    crm = console_home / "crm.csv"
    rows = read_crm(crm)
    rows["c3"] = dict(zip(HEADER, ["c3", "3 Pine Rd", "Reno", "250000", "for_sale"], strict=True))
    write_crm(crm, [[row[k] for k in HEADER] for row in rows.values()])
    page = browser.signed_in(TOKEN)
    run_now(page, "crm")
    with console.api() as api:
        pine = wait_for_records(api, 3)["3 Pine Rd"]
        api.properties.update_property(pine["id"], {"address": "3 Pine Road"})
    rows["c3"]["street_address"] = "3 Pine Rd (crm)"
    write_crm(crm, [[row[k] for k in HEADER] for row in rows.values()])
    run_now(page, "crm")

    def conflict_shown() -> Any:
        page.open("/console/conflicts")
        return conflict_for(page, "3 Pine Rd (crm)")

    section = page.wait(conflict_shown, "the new conflict", timeout=30)
    scope = f'section[data-conflict-id="{section.get_attribute("data-conflict-id")}"]'
    # A form sent with no choice for a field (radios can't be unchecked by hand: an old
    # page, a script) is refused with a message, never a 500.
    page.js(
        f"document.querySelectorAll('{scope} input[type=radio]').forEach(r => r.checked = false)"
    )
    page.click(f'{scope} [data-testid="merge"]')
    kind, text = page.flash()
    assert kind == "error" and "address" in text
    assert page.all(scope), "nothing was decided"


def test_the_conflicts_page_fits_a_phone(browser: Browser) -> None:
    browser.signed_in(TOKEN).check_layout("/console/conflicts")
