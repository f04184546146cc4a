"""The Events page: events from the sandbox's webhooks, an event's body, a replay that goes
through the handlers again (marked as a replay, not dropped as a duplicate); and hostile
text in a property or an event body that stays text on every page."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.sandbox import SandboxServer
from tests.service._helpers import handled, wait_until

from ._browser import Browser
from ._service import TOKEN, Console, signed_delivery, start_console

HANDLERS = (
    '"property.updated" = ["tests.service._helpers:record"]\n'
    '"property.created" = ["tests.console_browser._hooks:refuse"]\n'
)
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
BREAKOUT = '</pre><img src=x onerror="window.__xss=3">'
SVG = '<svg onload="window.__xss=4">'


@pytest.fixture(scope="module")
def record_url(console_home: Path) -> str:
    url = f"sqlite:///{console_home / 'handled.db'}"
    handled(url)  # the table, before the service's worker writes to it
    return url


@pytest.fixture(scope="module")
def console(console_home: Path, sandbox: SandboxServer, record_url: str) -> Iterator[Console]:
    running = start_console(
        console_home / "service",
        sandbox,
        handlers=HANDLERS,
        record_url=record_url,
        extra="[console]\npage_size = 5\n",  # the smallest page: the pager shows soon
    )
    yield running
    running.stop()


def event_rows(page: Browser) -> list[dict[str, Any]]:
    rows = []
    for row in page.all('tr[data-testid="event"]'):
        cell = {
            name: row.find_element("css selector", f".{name}").text.strip()
            for name in ("type", "property", "time", "outcome", "source")
        }
        link = row.find_element("css selector", "a[href^='/console/events/']")
        cell["type"] = cell["type"].split()[0] if cell["type"] else ""  # less a "replay" tag
        cell["href"] = link.get_attribute("href")
        cell["replay"] = row.get_attribute("data-replay") == "true"
        cell["text"] = row.text
        rows.append(cell)
    return rows


def events_until(page: Browser, what: str, check: Any, timeout: float = 20.0) -> Any:
    def again() -> Any:
        page.open("/console/events")
        return check(event_rows(page))

    return page.wait(again, what, timeout)


def test_replay_runs_the_handlers_again_marked_as_a_replay(
    browser: Browser, console: Console, record_url: str
) -> None:
    with console.api() as api:
        made = api.properties.create_property({"address": "5 Replay Rd"})
        api.properties.update_property(made["id"], {"city": "Reno"})
    wait_until(lambda: len(handled(record_url)) == 1, 20, "the update handled")
    ((event_id, (event_type, times, _pid)),) = handled(record_url).items()
    assert event_type == "property.updated" and times == 1

    page = browser.signed_in(TOKEN)

    def the_update(rows: list[dict[str, Any]]) -> Any:
        found = [r for r in rows if r["type"] == "property.updated" and not r["replay"]]
        return found and found[0]["outcome"] == "handled" and found[0]

    original = events_until(page, "the update, handled", the_update)
    assert original["source"] == "webhook"
    assert str(made["id"]) in original["property"] or "5 Replay Rd" in original["property"]
    page.driver.get(original["href"])
    body = page.wait_for('pre[data-testid="event-body"]').text
    assert event_id in body and "5 Replay Rd" in body
    page.click('[data-testid="replay"]')
    assert page.flash()[0] == "ok"

    def replayed(rows: list[dict[str, Any]]) -> Any:
        again = [r for r in rows if r["replay"] and r["type"] == "property.updated"]
        return again and again[0]["outcome"] == "handled" and again[0]

    replay = events_until(page, "the replay, handled", replayed)
    assert "replay" in replay["text"].lower()
    rows = event_rows(page)
    assert len([r for r in rows if r["type"] == "property.updated"]) == 2  # both kept
    assert handled(record_url)[event_id][1] == 2  # through the handlers again, same id


def test_stored_xss_stays_inert(browser: Browser, console: Console) -> None:
    with console.api() as api:  # another system writes hostile text into Open To Close
        hostile = api.properties.create_property({"address": SCRIPT, "city": IMG})
    body_event = {
        "id": f"evt_xss_{uuid.uuid4().hex[:12]}",
        "event_type": "property.updated",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "property": {"id": 987654, "address": BREAKOUT, "city": SVG, "status": "active"},
    }
    assert signed_delivery(console.url + "/webhook/otc", body_event) == 202

    page = browser.signed_in(TOKEN)
    marks = {str(hostile["id"]), "987654"}

    def both(rows: list[dict[str, Any]]) -> Any:
        ours = [
            r
            for r in rows
            if "__xss" in r["text"] or marks & set(re.findall(r"\d+", r["property"]))
        ]
        return len(ours) >= 2 and all(r["outcome"] != "received" for r in ours) and ours

    ours = events_until(page, "both hostile events, run", both)
    page.check_inert()
    for row in ours:
        page.driver.get(row["href"])
        page.wait_for('pre[data-testid="event-body"]')
        page.check_inert("window.__xss=")
    page.open("/console/")  # the refused event's error, among the recent errors
    page.wait_for('[data-testid="recent-errors"]')
    page.check_inert()

    page.open("/console/properties?q=script")
    row = page.wait_for(f'tr[data-testid="property"][data-property-id="{hostile["id"]}"]')
    page.check_inert(SCRIPT)
    page.driver.get(row.find_element("css selector", "a").get_attribute("href"))
    page.wait_for('pre[data-testid="raw-field-values"]')
    page.check_inert(SCRIPT, IMG)
    page.open("/console/properties")
    page.wait_for('tr[data-testid="property"][data-property-id="987654"]')
    page.check_inert(SCRIPT)


def test_event_pages_fit_a_phone(browser: Browser) -> None:
    page = browser.signed_in(TOKEN)
    page.check_layout("/console/events")
    rows = event_rows(page)
    assert rows, "the module's events are listed"
    page.check_layout(rows[0]["href"][len(page.base) :], 'pre[data-testid="event-body"]')


def test_the_events_are_paged(browser: Browser, console: Console, record_url: str) -> None:
    sent = []
    for n in range(7):
        event = {
            "id": f"evt_page_{n}_{uuid.uuid4().hex[:8]}",
            "event_type": "property.updated",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "property": {"id": 424242, "address": f"{n} Page St", "status": "active"},
        }
        assert signed_delivery(console.url + "/webhook/otc", event) == 202
        sent.append(event["id"])
    wait_until(lambda: set(sent) <= set(handled(record_url)), 20, "the seven events handled")

    page = browser.signed_in(TOKEN).open("/console/events")
    pages: list[list[str]] = []
    ours = 0
    while True:
        rows = page.all('tr[data-testid="event"]')
        assert 0 < len(rows) <= 5, f"{len(rows)} rows on a page of 5"
        pages.append([str(row.get_attribute("data-event-id")) for row in rows])
        ours += sum("424242" in row.find_element("css selector", ".property").text for row in rows)
        if not page.all('a[data-testid="next-page"]'):
            break
        page.click('a[data-testid="next-page"]')
    seen = [event for rows in pages for event in rows]
    assert len(pages) >= 2 and len(seen) == len(set(seen)) and ours == 7  # each once
    page.click('a[data-testid="prev-page"]')
    back = [str(r.get_attribute("data-event-id")) for r in page.all('tr[data-testid="event"]')]
    assert back == pages[-2]
