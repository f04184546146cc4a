"""The properties page: search what the integration knows, one property's flat view, its
raw field_values and links; hostile text stays text."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from open_to_close import OpenToCloseAPI
from open_to_close.sync import SyncState

from .conftest import Rig, check_paging
from .test_events import HANDLERS, created, deliver

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def _ids(html: str) -> list[str]:
    return re.findall(r'data-testid="property" data-property-id="([^"]+)"', html)


def test_search_and_a_propertys_page(make_rig: Callable[..., Rig], client: OpenToCloseAPI) -> None:
    job = {"name": "crm", "direction": "push", "source": "listings.csv", "every": "1h"}
    rig = make_rig(webhooks=HANDLERS, sync={"jobs": [job]})
    rig.login()
    pid = client.properties.create_property(
        {"address": "77 Sunset Blvd", "city": "Los Angeles", "status": "active"}
    )["id"]
    other = client.properties.create_property({"address": "3 Elm St"})["id"]
    assert deliver(rig, created("77 Sunset Blvd", pid=pid)).status_code == 202
    assert deliver(rig, created("3 Elm St", pid=other)).status_code == 202
    found = rig.get("/console/properties", q="sunset").text
    assert _ids(found) == [str(pid)]
    assert _ids(rig.get("/console/properties", q=str(other)).text) == [str(other)]
    assert set(_ids(rig.get("/console/properties").text)) == {str(pid), str(other)}
    state = SyncState(rig.components.config.state.url)
    state.save_link("crm", "crm-991", str(pid))
    state.close()
    page = rig.get(f"/console/properties/{pid}").text
    flat = page.split('data-testid="flat-view"')[1].split("</div>")[0]
    assert "77 Sunset Blvd" in flat and "Los Angeles" in flat and "field_values" not in flat
    raw = page.split('data-testid="raw-field-values">')[1].split("</pre>")[0]
    assert "property_address" in raw and "77 Sunset Blvd" in raw
    links = page.split('data-testid="links"')[1].split("</div>")[0]
    assert "crm-991" in links and "crm" in links
    assert "property.created" in page  # its recent events


def test_sync_links_are_known_properties(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.login()
    state = SyncState(rig.components.config.state.url)
    state.save_link("crm", "crm-1", "555")
    state.close()
    page = rig.get("/console/properties").text
    assert _ids(page) == ["555"]
    assert re.search(r'data-property-id="555".*?class="source">sync<', page, re.S)


def test_hostile_text_is_rendered_as_text(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI
) -> None:
    rig = make_rig(webhooks=HANDLERS)
    rig.login()
    pid = client.properties.create_property({"address": XSS})["id"]
    event = created(XSS, pid=pid)
    event["note"] = XSS
    deliver(rig, event)
    pages = [
        rig.get("/console/properties").text,
        rig.get("/console/properties", q="script").text,
        rig.get(f"/console/properties/{pid}").text,
        rig.get("/console/events").text,
    ]
    seq = re.findall(r'data-event-id="(\d+)"', pages[-1])[0]
    pages.append(rig.get(f"/console/events/{seq}").text)
    for html in pages:
        assert "<script>window.__xss" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in pages[0]
    assert "&lt;script&gt;" in pages[2] and "&lt;script&gt;" in pages[4]


def test_unknown_ids_paging_and_bad_input(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(console={"page_size": 5})
    rig.login()
    journal = rig.components.journal
    for n in range(12):
        journal.remember_property({"id": 1000 + n, "address": f"{n} Pine St"}, "webhook")
    seen = check_paging(rig, "/console/properties", r'data-property-id="([^"]+)"', 12)
    assert sorted(seen) == [str(1000 + n) for n in range(12)]
    missing = rig.get("/console/properties/424242")
    assert missing.status_code == 200 and 'data-testid="property-problem"' in missing.text
    assert rig.get("/console/properties", q="x" * 300).status_code == 400
    assert rig.get("/console/properties", page="zero").status_code == 400
    assert rig.get("/console/properties", page="0").status_code == 400


def test_read_all_fills_the_index_with_addresses(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI
) -> None:
    rig = make_rig()
    rig.login()
    pid = client.properties.create_property({"address": "12 Good St", "city": "Reno"})["id"]
    state = SyncState(rig.components.config.state.url)
    state.save_link("crm", "crm-7", str(pid))  # a push link: the id, no address
    state.close()
    assert _ids(rig.get("/console/properties").text) == [str(pid)]
    assert _ids(rig.get("/console/properties", q="Good St").text) == []
    answer = rig.post("/console/properties/refresh", page="/console/properties")
    assert answer.status_code == 303
    deadline = time.monotonic() + 30
    while _ids(rig.get("/console/properties", q="Good St").text) != [str(pid)]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_two_way_links_and_feed_snapshots_bring_their_addresses(
    make_rig: Callable[..., Rig], client: OpenToCloseAPI
) -> None:
    rig = make_rig(events={"source": "poll"})
    rig.login()
    pid = client.properties.create_property({"address": "5 Feed Ln"})["id"]
    rig.components.change_feed.poll_once()  # a silent first poll: snapshots, no events
    state = SyncState(rig.components.config.state.url)
    state.save_link("two", "crm-8", "9001", base={"address": "8 Base Ave", "city": "Provo"})
    state.close()
    assert _ids(rig.get("/console/properties", q="Base Ave").text) == ["9001"]
    assert _ids(rig.get("/console/properties", q="Feed Ln").text) == [str(pid)]


def test_ids_in_links_are_one_path_segment(make_rig: Callable[..., Rig]) -> None:
    """An id with '/', '?' or '#', or one of dots only, links to its own page (encoded),
    never to another console path."""
    from open_to_close.console.app import path_segment

    assert path_segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    assert path_segment("..") == "%2E%2E"
    assert path_segment("1.5") == "1.5"
    rig = make_rig()
    rig.login()
    state = SyncState(rig.components.config.state.url)
    state.save_link("crm", "crm-1", "../sync?x=1#y")
    state.close()
    page = rig.get("/console/properties").text
    assert 'href="/console/properties/..%2Fsync%3Fx%3D1%23y"' in page
    assert 'href="/console/properties/../sync' not in page
