"""End to end on embedded defaults: sandbox -> webhook -> service -> worker -> handlers ->
cache invalidated -> metrics show it; plus replays, health, draining and a sync schedule."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.service.components import Components
from open_to_close.service.config import parse_service_config
from open_to_close.service.runner import Service

from . import hooks_for_tests

SECRET = "whsec-test"
SAMPLE = Path(__file__).resolve().parents[2] / "src/open_to_close/data/sample_listings.csv"


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def metric(url: str, name: str, **labels: str) -> float:
    text = httpx2.get(f"{url}/metrics").text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.fixture
def service(
    sb: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    assert sb.webhook_secret == SECRET  # the shared sandbox signs with this secret
    monkeypatch.setenv("OTC_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    hooks_for_tests.seen.clear()
    (tmp_path / "listings.csv").write_bytes(SAMPLE.read_bytes())
    config = parse_service_config(
        {
            "api": {"base_url": sb.base_url},
            "webhooks": {
                "handlers": {
                    "property.status_changed": [
                        "tests.service.hooks_for_tests:record_status_change"
                    ]
                },
                "builtin": {"invalidate_cache": True, "record_task_completions": True},
            },
            "queue": {"url": f"sqlite:///{tmp_path}/queue.db", "concurrency": 2},
            "state": {"url": f"sqlite:///{tmp_path}/state.db"},
            "sync": {
                "jobs": [
                    {"name": "listings", "source": str(tmp_path / "listings.csv"), "every": "1h"}
                ]
            },
            "server": {"port": 0, "shutdown_grace": 5},
        }
    )
    with Service(Components(config)) as running:
        sb.subscribe(running.url + "/webhook/otc")
        yield running


def test_webhook_to_handler_to_cache_to_metrics(service: Service, sb: SandboxServer) -> None:
    components = service.components
    with OpenToCloseAPI(sb.api_key, sb.base_url) as elsewhere:  # another system's writes
        prop = elsewhere.properties.create_property({"address": "1 Event St", "status": "active"})
        assert components.cache.get_property(prop["id"])["status"] == "active"
        elsewhere.properties.update_property(prop["id"], {"status": "under_contract"})
        task = elsewhere.property_tasks.create_property_task(prop["id"], {"title": "Inspect"})
        elsewhere.property_tasks.update_property_task(
            prop["id"], task["id"], {"status": "completed"}
        )
    wait_for(lambda: bool(hooks_for_tests.seen and components.task_completions.completions()))
    wait_for(lambda: components.queue.stats()["pending"] + components.queue.stats()["running"] == 0)
    assert len(hooks_for_tests.seen) == 1
    assert components.cache.get_property(prop["id"])["status"] == "under_contract"
    completions = components.task_completions.completions()
    assert [c["task_id"] for c in completions] == [str(task["id"])]
    url = service.url
    assert (
        metric(
            url, "otc_service_events_total", event_type="property.status_changed", outcome="handled"
        )
        == 1
    )
    assert metric(url, "otc_service_events_total", event_type="task.completed") == 1
    assert metric(url, "otc_cache_hits_total") + metric(url, "otc_cache_misses_total") >= 2
    statuses = [d["status"] for d in sb.deliveries()]
    assert statuses and set(statuses) == {"delivered"}


def test_a_replayed_delivery_is_not_handled_again(service: Service, sb: SandboxServer) -> None:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as elsewhere:
        prop = elsewhere.properties.create_property({"address": "2 Replay Rd"})
        elsewhere.properties.update_property(prop["id"], {"status": "sold"})
    wait_for(lambda: len(hooks_for_tests.seen) == 1)
    event_id = hooks_for_tests.seen[0]
    body = json.dumps(
        {
            "id": event_id,
            "event_type": "property.status_changed",
            "created_at": "x",
            "property": {"id": prop["id"], "status": "sold"},
            "previous_status": "active",
        }
    ).encode()
    from open_to_close.webhooks import sign_headers

    answer = httpx2.post(
        service.url + "/webhook/otc", content=body, headers=sign_headers(SECRET, body, event_id)
    )
    assert answer.status_code == 200 and answer.json()["status"] == "duplicate"
    time.sleep(0.3)
    assert hooks_for_tests.seen == [event_id]


def test_bad_deliveries_get_clear_answers(service: Service) -> None:
    url = service.url + "/webhook/otc"
    assert httpx2.post(url, content=b"{}").json() == {"error": "Missing signature"}
    bad = httpx2.post(url, content=b"{}", headers={"X-OTC-Signature": "sha256=00"})
    assert bad.status_code == 400
    assert httpx2.post(url, content=b"x" * (1024 * 1024 + 1)).status_code == 413


def test_health_reports_each_part(service: Service) -> None:
    answer = httpx2.get(service.url + "/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "healthy" and body["api_connectivity"] == "ok"
    assert {"api", "state_db", "queue", "cache"} <= set(body["checks"])


def test_health_is_503_when_the_api_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OTC_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", "k-down-1234")
    config = parse_service_config(
        {
            "api": {"base_url": f"http://127.0.0.1:{port}/v1"},
            "queue": {"url": f"sqlite:///{tmp_path}/q.db"},
            "state": {"url": f"sqlite:///{tmp_path}/s.db"},
            "server": {"port": 0},
        }
    )
    with Service(Components(config), ["web"]) as running:
        answer = httpx2.get(running.url + "/health")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unhealthy" and body["api_connectivity"] == "failed"
    assert "k-down-1234" not in answer.text


def test_draining_refuses_new_webhooks(service: Service) -> None:
    service.closing.set()
    answer = httpx2.post(service.url + "/webhook/otc", content=b"{}")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    service.closing.clear()


def test_scheduler_runs_the_sync_job(service: Service, sb: SandboxServer) -> None:
    wait_for(lambda: "listings" in service.scheduler.reports)
    report: dict[str, Any] = service.scheduler.reports["listings"]
    assert report["created"] == 25 and report["errors"] == 0
    assert metric(service.url, "otc_sync_runs_total", job="listings", outcome="ok") == 1
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        assert len(list(client.properties.iter_properties())) == 25
