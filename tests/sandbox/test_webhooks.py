"""The sandbox sends signed webhooks: events, both schemes, retries, the log, the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner

from open_to_close.cli import app as cli
from open_to_close.sandbox import SandboxServer
from open_to_close.webhooks import WebhookHandler
from open_to_close.webhooks.server import BackgroundServer

from .conftest import codec_of, create_body

SECRET = "whsec"  # the module sandbox's


class Recorder:
    """A subscriber endpoint: records each request; answers from a script of statuses."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.gate: threading.Event | None = None
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> JSONResponse:
        body = await request.body()
        if self.gate is not None:
            import anyio.to_thread

            await anyio.to_thread.run_sync(self.gate.wait, 10)
        with self.lock:
            self.requests.append((dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
        return JSONResponse({"ok": status < 300}, status_code=status)

    def events(self) -> list[str]:
        import json

        return [json.loads(body)["event_type"] for _, body in self.requests]


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    rec = Recorder()
    app = Starlette(routes=[Route("/hook", rec.endpoint, methods=["POST"])])
    with BackgroundServer(app) as server:
        yield rec, f"{server.url}/hook"


@pytest.fixture
def otc(api: httpx2.Client) -> Iterator[httpx2.Client]:
    """The sandbox's API over the socket, with the account read before any subscription."""
    create_body(api)
    yield api


def _create(api: httpx2.Client, **flat: Any) -> int:
    response = api.post("/properties/", json=create_body(api, **flat))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_every_contract_event_with_its_body(
    sbx: SandboxServer, otc: httpx2.Client, recorder: tuple[Recorder, str]
) -> None:
    rec, url = recorder
    codec = codec_of(otc)
    body = create_body(otc, address="1 Hook St", status="active")
    sbx.subscribe(url)
    pid = otc.post("/properties/", json=body).json()["id"]
    prop = f"/properties/{pid}"
    otc.patch(prop, json={"fields": codec.encode({"listing_price": 5})})  # no status change
    otc.patch(prop, json={"fields": codec.encode({"status": "sold"})})
    task = otc.post(f"{prop}/tasks", json={"title": "t"}).json()
    otc.patch(f"{prop}/tasks/{task['id']}", json={"status": "completed"})
    otc.patch(f"{prop}/tasks/{task['id']}", json={"title": "t2"})
    otc.post(f"{prop}/notes", json={"description": "n"})
    otc.post(f"{prop}/documents", json={"name": "d"})
    contact = otc.post("/contacts", json={"first_name": "a", "last_name": "b"}).json()
    otc.post(f"{prop}/contacts", json={"contact_id": contact["id"]})
    otc.delete(prop)
    assert sbx.wait_for_webhooks(10)
    log = sbx.deliveries()
    assert [d["event_type"] for d in log] == [
        "property.created",
        "property.updated",
        "property.updated",
        "property.status_changed",
        "task.created",
        "task.updated",
        "task.completed",
        "task.updated",
        "note.created",
        "document.created",
        "contact.created",
        "property.deleted",
    ]
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for d in log)
    assert sorted(rec.events()) == sorted(d["event_type"] for d in log)
    changed = log[3]["payload"]
    assert changed["previous_status"] == "active" and changed["property"]["status"] == "sold"
    # The record as the API answers it, plus the guide's flat names.
    assert len(changed["property"]["field_values"]) == 497
    assert changed["property"]["address"] == "1 Hook St"
    assert log[0]["payload"]["property"]["status"] == "active"
    assert changed["id"].startswith("evt_") and changed["created_at"].endswith("Z")
    completed = log[6]["payload"]
    assert completed["task"]["status"] == "completed" and completed["previous_status"] is None
    assert log[10]["payload"]["contact"]["contact"]["id"] == contact["id"]
    assert log[11]["payload"]["property"]["id"] == pid
    # The two events of one change are distinct events with distinct ids.
    assert len({d["event_id"] for d in log}) == len(log)


def test_deliveries_verify_under_both_schemes(
    sbx: SandboxServer, otc: httpx2.Client, recorder: tuple[Recorder, str], tmp_path: Any
) -> None:
    rec, url = recorder
    sbx.subscribe(url, events=["property.*"])
    _create(otc, address="2 Hook St")
    otc.post("/contacts", json={"first_name": "a", "last_name": "b"})
    assert sbx.wait_for_webhooks(10)
    ((headers, body),) = rec.requests
    assert headers["x-otc-event-id"] == headers["webhook-id"]
    assert headers["x-otc-timestamp"] == headers["webhook-timestamp"]
    assert headers["webhook-signature"].startswith("v1,")
    for index, only in enumerate(("x-otc-", "webhook-")):
        handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / f'{index}.db'}")
        picked = {k: v for k, v in headers.items() if k.startswith(only)}
        assert handler.process_webhook(body, headers=picked)["status"] == "ignored"
        handler.close()


def test_failures_are_retried_with_backoff_and_signed_afresh(
    sbx: SandboxServer, otc: httpx2.Client, recorder: tuple[Recorder, str]
) -> None:
    rec, url = recorder
    rec.statuses = [500, 503]
    sbx.subscribe(url, retry_backoff=0.6)
    _create(otc, address="3 Hook St")
    assert sbx.wait_for_webhooks(10)
    (delivery,) = sbx.deliveries()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [a["response_status"] for a in delivery["history"]] == [500, 503, 200]
    bodies = {body for _, body in rec.requests}
    assert len(bodies) == 1  # the same event each time
    stamps = [int(h["webhook-timestamp"]) for h, _ in rec.requests]
    assert stamps[-1] > stamps[0]  # 0.6 s + 1.2 s later: a new timestamp, a new signature
    assert rec.requests[0][0]["webhook-signature"] != rec.requests[-1][0]["webhook-signature"]


def test_gives_up_after_max_retries(sbx: SandboxServer, otc: httpx2.Client) -> None:
    sbx.subscribe("http://127.0.0.1:9/closed", max_retries=2, retry_backoff=0.01)
    _create(otc, address="4 Hook St")
    assert sbx.wait_for_webhooks(10)
    (delivery,) = sbx.deliveries()
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    assert "ConnectError" in delivery["error"]


def test_a_stuck_subscriber_never_blocks_the_api(
    sbx: SandboxServer, otc: httpx2.Client, recorder: tuple[Recorder, str]
) -> None:
    rec, url = recorder
    rec.gate = threading.Event()
    body = create_body(otc, address="Slow St")
    sbx.subscribe(url)
    try:
        for _ in range(10):
            otc.post("/properties/", json=body)
        # Every call has returned while the subscriber still holds the first delivery.
        assert len(otc.get("/properties").json()) == 10
        assert rec.requests == []
        assert {d["status"] for d in sbx.deliveries()} == {"pending"}
    finally:
        rec.gate.set()
    assert sbx.wait_for_webhooks(10)
    assert len(rec.requests) == 10


def test_reset_clears_subscriptions_and_the_log(
    sbx: SandboxServer, otc: httpx2.Client, recorder: tuple[Recorder, str]
) -> None:
    _rec, url = recorder
    sbx.subscribe(url)
    _create(otc, address="5 Hook St")
    assert sbx.wait_for_webhooks(10) and sbx.deliveries()
    sbx.reset()
    assert sbx.deliveries() == []
    _create(otc, address="6 Hook St")
    assert sbx.deliveries() == []


def test_subscription_api(sbx: SandboxServer, api: httpx2.Client) -> None:
    created = api.post("/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["task.*"]})
    assert created.status_code == 201
    body = created.json()
    assert body["events"] == ["task.*"] and "secret" not in body  # the sandbox's own secret
    assert api.get("/webhooks").json() == [body]
    assert api.get(f"/webhooks/{body['id']}").json() == body
    assert api.get("/webhooks/deliveries").json() == []
    assert api.post("/webhooks", json={"url": "ftp://x"}).status_code == 422
    refused = api.post("/webhooks", json={"url": "http://x", "events": ["property.exploded"]})
    assert refused.status_code == 422 and "events" in refused.json()["errors"]
    assert api.post("/webhooks", json={"events": ["*"]}).status_code == 422
    assert api.delete(f"/webhooks/{body['id']}").status_code == 204
    assert api.get(f"/webhooks/{body['id']}").status_code == 404
    assert api.get("/webhooks", params={"api_token": "wrong"}).status_code == 401


def test_without_a_sandbox_secret_one_is_generated_and_returned() -> None:
    with SandboxServer(api_key="k") as server:
        created = server.subscribe("http://127.0.0.1:9/x")
        assert created["secret"].startswith("whsec_")


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "http://x", "events": []}, "events"),
        ({"url": "http://x", "max_retries": -1}, "max_retries"),
        ({"url": "http://x", "retry_backoff": "soon"}, "retry_backoff"),
    ],
)
def test_subscribe_says_what_to_fix(sbx: SandboxServer, kwargs: dict[str, Any], hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        sbx.subscribe(**kwargs)


def test_cli_webhook_flag_needs_a_secret() -> None:
    result = CliRunner().invoke(
        cli, ["sandbox", "--webhook", "http://127.0.0.1:9/x"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2 and "--webhook-secret" in result.output
