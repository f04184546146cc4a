"""MonitoredOTCClient: the guide's class, working, with a log line per call."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import NotFoundError, OpenToCloseAPI
from open_to_close.monitoring import MonitoredOTCClient

from .conftest import scrape, value


def test_the_four_methods_are_recorded_and_logged(
    client: OpenToCloseAPI, registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    monitored = MonitoredOTCClient(client, registry=registry)
    with caplog.at_level(logging.INFO, logger="open_to_close.monitoring"):
        created = monitored.create_property({"address": "1 Watched St"})
        assert monitored.get_property(created["id"])["address"] == "1 Watched St"
        assert monitored.update_property(created["id"], {"city": "Boise"})["city"] == "Boise"
        assert [p["id"] for p in monitored.list_properties()] == [created["id"]]
        with pytest.raises(NotFoundError):
            monitored.get_property(10**6)
    text = scrape(registry)
    # The update is a PUT answered 405 (Allow: PATCH), then a PATCH, as on the live API.
    for method, endpoint in [
        ("POST", "/properties"),
        ("GET", "/properties/{id}"),
        ("PATCH", "/properties/{id}"),
        ("GET", "/properties"),
        ("GET", "/propertyFields"),  # the client's look-ups, once
        ("GET", "/teams"),
    ]:
        labels = {"method": method, "endpoint": endpoint, "status": "success"}
        assert value(text, "otc_api_requests_total", **labels) == 1, labels
    errors = {"method": "GET", "endpoint": "/properties/{id}", "error_type": "NotFoundError"}
    assert value(text, "otc_api_errors_total", **errors) == 1
    refused = {"method": "PUT", "endpoint": "/properties/{id}"}
    assert value(text, "otc_api_errors_total", error_type="MethodNotAllowedError", **refused) == 1

    ok = [r for r in caplog.records if r.getMessage().startswith("API call successful")]
    assert len(ok) == 6
    looked_up = {"/propertyFields", "/teams"}
    assert {r.endpoint for r in ok} == {"/properties", "/properties/{id}", *looked_up}
    assert all(isinstance(r.duration_ms, float) for r in ok)
    errors_logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors_logged) == 1 and errors_logged[0].error_type == "NotFoundError"
    assert errors_logged[0].getMessage().startswith("API call failed")
    refusals = [r for r in caplog.records if r.getMessage().startswith("API call refused")]
    assert [(r.levelno, r.method, r.status) for r in refusals] == [(logging.INFO, "PUT", 405)]
    assert client.settings.api_key.get() not in caplog.text


def test_wrapping_twice_attaches_nothing_twice(
    client: OpenToCloseAPI, registry: CollectorRegistry
) -> None:
    MonitoredOTCClient(client, registry=registry)
    MonitoredOTCClient(client, registry=registry)
    assert len(client.hooks) == 2  # one metrics hook, one log hook
