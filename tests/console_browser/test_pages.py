"""Every console page in a browser at 1280 and 390 px, with data in it: the overview's
health and charts, a sync run's failed row with its reason, "run now", the properties the
integration knows with their raw field values and links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer
from tests.service._helpers import wait_until

from ._browser import PAGES, Browser
from ._service import API_KEY, TOKEN, Console, job_toml, start_console

HOSTILE = "<img src=x onerror=window.__xss=5>"
LISTINGS = (
    "id,street_address,city,state,postal_code,price,bed_count,bath_count,sqft,type,status\n"
    "MLS-1,1 Good St,Denver,CO,80203,500000,2,1,1000,single_family,for_sale\n"
    "MLS-2,2 Bad St,Denver,CO,80203,call us,2,1,1000,single_family,for_sale\n"
    f"MLS-3,3 Odd St,Denver,CO,80203,{HOSTILE},2,1,1000,single_family,for_sale\n"
)


@pytest.fixture(scope="module")
def console(console_home: Path, sandbox: SandboxServer) -> Iterator[Console]:
    source = console_home / "listings.csv"
    source.write_text(LISTINGS)
    running = start_console(console_home / "service", sandbox, jobs=job_toml("listings", source))
    try:
        with running.api() as api:  # the run at start: one record made, one refused
            wait_until(lambda: len(list(api.properties.iter_properties())) == 1, 30, "the push")
        yield running
    finally:
        running.stop()


def runs_of(page: Browser) -> list[str]:
    page.open("/console/sync")
    return [str(r.get_attribute("data-run-id")) for r in page.all('tr[data-testid="run"]')]


def test_a_pushed_property_is_found_by_its_address(browser: Browser, console: Console) -> None:
    """The push job made it and no event reached the service: it is listed by id (its
    link), and found by its address once "Read all from Open To Close" has filled the
    index (a push keeps no copy of the record; the live API allows ~1 request a second)."""
    with console.api() as api:
        (made,) = api.properties.iter_properties()
    page = browser.signed_in(TOKEN).open(f"/console/properties?q={made['id']}")
    page.wait_for(f'tr[data-testid="property"][data-property-id="{made["id"]}"]')
    page.open("/console/properties")
    page.click('[data-testid="refresh-index"]')
    assert page.flash()[0] == "ok"

    def found() -> bool:
        page.open("/console/properties?q=Good St")
        rows = page.all(f'tr[data-testid="property"][data-property-id="{made["id"]}"]')
        return bool(rows) and "1 Good St" in rows[0].text

    page.wait(found, "the pushed property found by its address", timeout=20)


def test_the_overview_shows_each_part_and_its_charts(browser: Browser) -> None:
    page = browser.signed_in(TOKEN)
    statuses = {}
    for part in ("api", "state", "queue", "cache", "feed"):
        box = page.wait_for(f'[data-testid="health-{part}"]')
        statuses[part] = box.get_attribute("data-status")
    assert set(statuses.values()) <= {"ok", "failing", "off"}, statuses
    assert statuses["api"] == statuses["state"] == statuses["queue"] == "ok", statuses
    assert page.find('[data-testid="rate-budget"]').text.strip()
    page.find('[data-testid="recent-errors"]')
    for chart in ("events", "sync", "queue", "rate"):
        page.find(f'svg[data-testid="chart-{chart}"]')
    assert API_KEY not in page.source


def test_a_failed_sync_row_shows_its_reason(browser: Browser) -> None:
    page = browser.signed_in(TOKEN).open("/console/sync")
    page.wait_for('[data-testid="job"][data-job="listings"]')
    run = page.wait_for('tr[data-testid="run"]')
    for cell in ("started", "ended", "outcome", "counts", "requests"):
        assert run.find_element("css selector", f".{cell}").text.strip(), cell
    assert "partial" in run.find_element("css selector", ".outcome").text.lower()
    page.driver.get(run.find_element("css selector", "a").get_attribute("href"))
    assert re.fullmatch(r"/console/sync/runs/\d+", page.path), page.path
    failed = {
        row.find_element("css selector", ".source-id").text.strip(): row.find_element(
            "css selector", ".reason"
        ).text
        for row in page.all('tr[data-testid="failed-row"]')
    }
    assert set(failed) == {"MLS-2", "MLS-3"}
    assert "price" in failed["MLS-2"] and "call us" in failed["MLS-2"], failed
    assert HOSTILE in failed["MLS-3"]  # the source's text, shown as text
    page.check_inert(HOSTILE)


def test_run_now_runs_the_job(browser: Browser) -> None:
    page = browser.signed_in(TOKEN)
    before = runs_of(page)
    page.click('[data-testid="job"][data-job="listings"] [data-testid="run-now"]')
    assert page.flash()[0] == "ok"
    page.wait(lambda: len(runs_of(page)) == len(before) + 1, "the new run", timeout=20)


def test_run_now_without_its_csrf_token_is_refused(browser: Browser) -> None:
    page = browser.signed_in(TOKEN)
    before = runs_of(page)
    job = '[data-testid="job"][data-job="listings"]'
    assert page.drop_csrf(job) == 1
    page.click(f'{job} [data-testid="run-now"]')
    assert page.status == 403 and "csrf" in page.source.lower()
    assert runs_of(page) == before


def test_a_property_shows_its_raw_fields_and_links(browser: Browser, console: Console) -> None:
    with console.api() as api:
        (made,) = api.properties.iter_properties()
    page = browser.signed_in(TOKEN).open(f"/console/properties?q={made['id']}")
    row = page.wait_for(f'tr[data-testid="property"][data-property-id="{made["id"]}"]')
    page.driver.get(row.find_element("css selector", "a").get_attribute("href"))
    raw = page.wait_for('pre[data-testid="raw-field-values"]').text
    assert "property_address" in raw and "1 Good St" in raw
    assert "1 Good St" in page.text("main")  # the flat view
    links = page.find('[data-testid="links"]').text
    assert "listings" in links and "MLS-1" in links
    page.open("/console/properties?q=nothing-like-this")
    assert not page.all('tr[data-testid="property"]')


@pytest.mark.parametrize("path", PAGES)
def test_each_page_at_both_widths(browser: Browser, path: str) -> None:
    browser.signed_in(TOKEN).check_layout(path)


def test_detail_pages_at_both_widths(browser: Browser, console: Console) -> None:
    page = browser.signed_in(TOKEN)
    (run, *_) = runs_of(page)
    page.check_layout(f"/console/sync/runs/{run}")
    with console.api() as api:
        (made,) = api.properties.iter_properties()
    page.check_layout(f"/console/properties/{made['id']}", 'pre[data-testid="raw-field-values"]')
