"""instrument(client): the guide's metrics, from the transport's hooks."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from open_to_close import AsyncOpenToCloseAPI, NotFoundError, OpenToCloseAPI, ServerError
from open_to_close.monitoring import MetricsHook, instrument
from open_to_close.sandbox import SandboxServer

from .conftest import TEMPLATES, samples, scrape, value


def test_calls_are_counted_and_timed_by_route_template(
    client: OpenToCloseAPI, registry: CollectorRegistry
) -> None:
    instrument(client, registry)
    ids = [client.properties.create_property({"address": f"{n} Metric St"})["id"] for n in range(3)]
    for pid in ids:
        client.properties.retrieve_property(pid)
        client.property_notes.create_property_note(pid, {"content": "n"})
    client.properties.list_properties({"limit": 1})
    text = scrape(registry)
    ok = {"status": "success"}
    assert value(text, "otc_api_requests_total", method="POST", endpoint="/properties", **ok) == 3
    assert (
        value(text, "otc_api_requests_total", method="GET", endpoint="/properties/{id}", **ok) == 3
    )
    notes = "/properties/{property_id}/notes"
    assert value(text, "otc_api_requests_total", method="POST", endpoint=notes, **ok) == 3
    duration = "otc_api_request_duration_seconds_count"
    assert value(text, duration, method="GET", endpoint="/properties/{id}") == 3
    endpoints = {dict(labels)["endpoint"] for labels in samples(text, "otc_api_requests_total")}
    assert endpoints <= TEMPLATES  # ids never become label values


def test_errors_and_retries_are_counted(
    sb: SandboxServer, client: OpenToCloseAPI, registry: CollectorRegistry
) -> None:
    instrument(client, registry)
    pid = client.properties.create_property({"address": "1 Fault St"})["id"]
    sb.set_faults(rate=1.0, statuses=(503,))
    with pytest.raises(ServerError):
        client.properties.retrieve_property(pid)
    sb.set_faults()
    with pytest.raises(NotFoundError):
        client.properties.retrieve_property(10**6)
    text = scrape(registry)
    item = {"method": "GET", "endpoint": "/properties/{id}"}
    retries = client.settings.max_retries
    assert value(text, "otc_api_retries_total", error_type="ServerError", **item) == retries
    assert value(text, "otc_api_errors_total", error_type="ServerError", **item) == 1
    assert value(text, "otc_api_errors_total", error_type="NotFoundError", **item) == 1
    assert value(text, "otc_api_requests_total", status="error", **item) == 2
    assert value(text, "otc_api_request_duration_seconds_count", **item) == 2


def test_instrument_is_idempotent(client: OpenToCloseAPI, registry: CollectorRegistry) -> None:
    first = instrument(client, registry)
    assert instrument(client, registry) is first
    assert sum(isinstance(h, MetricsHook) for h in client.hooks) == 1
    client.properties.list_properties()
    text = scrape(registry)
    labels = {"method": "GET", "endpoint": "/properties", "status": "success"}
    assert value(text, "otc_api_requests_total", **labels) == 1


def test_default_registry_can_be_used_again_and_again(sb: SandboxServer) -> None:
    with (
        OpenToCloseAPI(sb.api_key, sb.base_url) as one,
        OpenToCloseAPI(sb.api_key, sb.base_url) as two,
    ):
        hooks = [instrument(one), instrument(two), instrument(one)]
        assert hooks[0] is hooks[2] and hooks[0] is not hooks[1]
        labels = {"method": "GET", "endpoint": "/teams", "status": "success"}
        before = REGISTRY.get_sample_value("otc_api_requests_total", labels) or 0
        one.teams.list_teams()
        two.teams.list_teams()
        assert REGISTRY.get_sample_value("otc_api_requests_total", labels) == before + 2


async def test_async_clients_too(aclient: AsyncOpenToCloseAPI, registry: CollectorRegistry) -> None:
    instrument(aclient, registry)
    pid = (await aclient.properties.create_property({"address": "1 Async St"}))["id"]
    await aclient.properties.retrieve_property(pid)
    text = scrape(registry)
    labels = {"method": "GET", "endpoint": "/properties/{id}", "status": "success"}
    assert value(text, "otc_api_requests_total", **labels) == 1
