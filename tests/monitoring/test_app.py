"""GET /health and GET /metrics, alone or mounted in another ASGI app."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx2
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.routing import Mount

from open_to_close import OpenToCloseAPI
from open_to_close.cache import RedisCache
from open_to_close.monitoring import (
    HealthCheck,
    api_check,
    create_monitoring_app,
    instrument,
    monitoring_routes,
)
from open_to_close.sandbox import SandboxServer

from .conftest import TEMPLATES, closed_port, samples, value

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def get(app: Any, path: str) -> httpx2.Response:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://ops") as http:
        return await http.get(path)


async def test_healthy(client: OpenToCloseAPI) -> None:
    response = await get(create_monitoring_app(client), "/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy" and body["api_connectivity"] == "ok"
    assert body["timestamp"].endswith("Z")
    assert body["checks"]["api"]["status"] == "ok" and "error" not in body
    assert response.headers["cache-control"] == "no-store"


async def test_api_down_is_503_with_the_reason_and_no_key() -> None:
    key = "very-secret-key-4242"
    down = OpenToCloseAPI(key, f"http://127.0.0.1:{closed_port()}/v1")
    response = await get(create_monitoring_app(down), "/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy" and body["api_connectivity"] == "failed"
    assert body["error"].startswith("api: NetworkError")
    assert key not in response.text


async def test_wrong_key_is_503_and_not_echoed(sb: SandboxServer) -> None:
    key = "wrong-key-but-secret-77"
    response = await get(create_monitoring_app(OpenToCloseAPI(key, sb.base_url)), "/health")
    assert response.status_code == 503
    assert "AuthenticationError" in response.json()["error"]
    assert key not in response.text


@pytest.mark.defect(13)
async def test_the_probe_spares_the_api_budget(sb: SandboxServer, client: OpenToCloseAPI) -> None:
    """At most one probe per ``every`` seconds, and a 429 (a busy account, about one
    request a second on the live API) is an API that answered, not a dead one."""
    app = create_monitoring_app(checks=[api_check(client, every=60)])
    for _ in range(3):
        assert (await get(app, "/health")).status_code == 200
    assert sb.stats()["requests"]["GET /properties"] == 1
    sb.set_faults(rate=1.0, statuses=(429,))
    busy = create_monitoring_app(checks=[api_check(client, every=0)])
    response = await get(busy, "/health")
    assert response.status_code == 200, response.text
    assert response.json()["api_connectivity"] == "ok"
    sb.set_faults()


async def test_no_client_and_no_key_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPEN_TO_CLOSE_API_KEY", raising=False)
    response = await get(create_monitoring_app(), "/health")
    assert response.status_code == 503
    assert "OPEN_TO_CLOSE_API_KEY" in response.json()["error"]


async def test_state_db_queue_and_cache_checks(client: OpenToCloseAPI) -> None:
    class Queue:
        def stats(self) -> dict[str, int]:
            return {"pending": 0, "running": 0, "done": 0, "dead": 0}

    app = create_monitoring_app(
        client,
        state_db=PG_URL,
        queue=Queue(),
        cache=RedisCache(f"redis://127.0.0.1:{closed_port()}/0", prefix="otc-health:"),
    )
    response = await get(app, "/health")
    body = response.json()
    assert response.status_code == 200, body  # the cache is optional: reads fall back
    assert body["checks"]["state_db"]["status"] == "ok"
    assert body["checks"]["queue"]["status"] == "ok"
    cache = body["checks"]["cache"]
    assert cache["status"] == "failed" and cache["required"] is False
    assert "ConnectionError" in cache["error"] or "Redis" in cache["error"]


async def test_a_failed_required_check_is_503(client: OpenToCloseAPI) -> None:
    class DeadQueue:
        def stats(self) -> dict[str, int]:
            raise ConnectionRefusedError("broker refused the connection")

    app = create_monitoring_app(
        client, state_db=f"postgresql://postgres@127.0.0.1:{closed_port()}/test", queue=DeadQueue()
    )
    response = await get(app, "/health")
    body = response.json()
    assert response.status_code == 503
    assert body["api_connectivity"] == "ok"
    assert "state_db: OperationalError" in body["error"]
    assert "queue: ConnectionRefusedError: broker refused" in body["error"]


async def test_custom_checks_plain_async_false_and_slow() -> None:
    async def async_ok() -> None:
        await asyncio.sleep(0)

    checks = [
        HealthCheck("plain", lambda: None),
        HealthCheck("async", async_ok),
        HealthCheck("says_no", lambda: False, required=False),
        HealthCheck("slow", lambda: time.sleep(1), timeout=0.05),
    ]
    response = await get(create_monitoring_app(checks=checks), "/health")
    body = response.json()
    assert response.status_code == 503
    assert body["api_connectivity"] == "not_checked"
    statuses = {name: check["status"] for name, check in body["checks"].items()}
    assert statuses == {"plain": "ok", "async": "ok", "says_no": "failed", "slow": "failed"}
    assert body["error"] == "slow: timed out after 0.05s"


async def test_metrics_parse_and_stay_bounded(
    client: OpenToCloseAPI, registry: CollectorRegistry
) -> None:
    instrument(client, registry)
    for n in range(5):
        pid = client.properties.create_property({"address": f"{n} Scrape St"})["id"]
        client.properties.retrieve_property(pid)
    response = await get(create_monitoring_app(client, registry=registry), "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    labels = {"method": "GET", "endpoint": "/properties/{id}", "status": "success"}
    assert value(response.text, "otc_api_requests_total", **labels) == 5
    found = samples(response.text, "otc_api_requests_total")
    # Five ids, yet one series per route and outcome (error series start at 0): the five
    # creates and reads, and the client's two look-ups (fields, team member).
    routes = {(dict(k)["method"], dict(k)["endpoint"]) for k in found}
    assert routes == {
        ("POST", "/properties"),
        ("GET", "/properties/{id}"),
        ("GET", "/propertyFields"),
        ("GET", "/teams"),
    }
    assert len(found) == 2 * len(routes)
    assert {dict(k)["endpoint"] for k in found} <= TEMPLATES


async def test_mounted_in_another_app(client: OpenToCloseAPI, registry: CollectorRegistry) -> None:
    app = Starlette(routes=[Mount("/ops", routes=monitoring_routes(client, registry=registry))])
    app.mount("/internal", create_monitoring_app(client, registry=registry))
    for prefix in ("/ops", "/internal"):
        assert (await get(app, f"{prefix}/health")).status_code == 200
        assert (await get(app, f"{prefix}/metrics")).status_code == 200
