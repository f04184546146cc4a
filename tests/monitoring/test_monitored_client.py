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
    for method, endpoint in [
        ("POST", "/properties"),
        ("GET", "/properties/{id}"),
        ("PUT", "/properties/{id}"),
        ("GET", "/properties"),
    ]:
        labels = {"method": method, "endpoint": endpoint, "status": "success"}
        assert value(text, "otc_api_requests_total", **labels) == 1, labels
    errors = {"method": "GET", "endpoint": "/properties/{id}", "error_type": "NotFoundError"}
    assert value(text, "otc_api_errors_total", **errors) == 1

    ok = [r for r in caplog.records if r.getMessage().startswith("API call successful")]
    assert len(ok) == 4
    assert {r.endpoint for r in ok} == {"/properties", "/properties/{id}"}
    assert all(isinstance(r.duration_ms, float) for r in ok)
    failed = [r for r in caplog.records if r.getMessage().startswith("API call failed")]
    assert len(failed) == 1 and failed[0].error_type == "NotFoundError"
    assert client.settings.api_key.get() not in caplog.text


def test_wrapping_twice_attaches_nothing_twice(
    client: OpenToCloseAPI, registry: CollectorRegistry
) -> None:
    MonitoredOTCClient(client, registry=registry)
    MonitoredOTCClient(client, registry=registry)
    assert len(client.hooks) == 2  # one metrics hook, one log hook
