"""create_webhook_app and the Flask blueprint: the contract's answers, inline and queued."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from flask import Flask

from open_to_close.queue import connect
from open_to_close.queue.base import TaskQueue
from open_to_close.webhooks import (
    WEBHOOK_TASK,
    WebhookHandler,
    create_webhook_app,
    otc_signature,
)
from open_to_close.webhooks.dedupe import SQLDedupe
from open_to_close.webhooks.flask import create_webhook_blueprint

from .conftest import SECRET, event, signed

PATH = "/webhook/otc"


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[TaskQueue]:
    q = connect(f"sqlite:///{tmp_path / 'q.db'}")
    yield q
    q.close()


async def _client(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://receiver") as c:
        yield c


@pytest.fixture
async def inline(handler: WebhookHandler) -> AsyncIterator[httpx2.AsyncClient]:
    async for c in _client(create_webhook_app(handler, max_body=4096)):
        yield c


@pytest.fixture
async def queued(handler: WebhookHandler, queue: TaskQueue) -> AsyncIterator[httpx2.AsyncClient]:
    async for c in _client(create_webhook_app(handler, PATH, queue)):
        yield c


async def test_inline_runs_the_handler_and_answers_its_result(
    handler: WebhookHandler, inline: httpx2.AsyncClient
) -> None:
    handler.register_handler("property.created", lambda e: {"status": "processed", "n": 1})
    body, headers = signed(event())
    answer = await inline.post(PATH, content=body, headers=headers)
    assert answer.status_code == 200
    assert answer.json() == {"status": "processed", "n": 1}
    again = await inline.post(PATH, content=body, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"


async def test_contract_refusals(inline: httpx2.AsyncClient) -> None:
    body, headers = signed(event())
    missing = await inline.post(PATH, content=body)
    assert (missing.status_code, missing.json()) == (400, {"error": "Missing signature"})
    bad = await inline.post(PATH, content=body, headers={"X-OTC-Signature": "sha256=00"})
    assert bad.status_code == 400 and "signature" in bad.json()["error"].lower()
    malformed = await inline.post(
        PATH, content=b"{nope", headers={"X-OTC-Signature": otc_signature(SECRET, b"{nope")}
    )
    assert (malformed.status_code, malformed.json()) == (400, {"error": "Malformed JSON"})
    large = await inline.post(PATH, content=b"x" * 5000, headers=headers)
    assert (large.status_code, large.json()) == (413, {"error": "Payload too large"})
    get = await inline.get(PATH)
    assert get.status_code == 405


async def test_oversize_body_streamed_without_length_is_413(inline: httpx2.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    answer = await inline.post(PATH, content=chunks(), headers={"X-OTC-Signature": "sha256=0"})
    assert answer.status_code == 413


async def test_handler_exception_is_a_generic_500_logged_not_leaked(
    handler: WebhookHandler, inline: httpx2.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    @handler.on("property.created")
    def explode(data: dict[str, Any]) -> None:
        raise RuntimeError("secret internals: db password hunter2")

    body, headers = signed(event())
    with caplog.at_level(logging.ERROR, logger="open_to_close.webhooks"):
        answer = await inline.post(PATH, content=body, headers=headers)
    assert answer.status_code == 500
    assert answer.json() == {"error": "Internal server error"}
    assert "hunter2" not in answer.text and "Traceback" not in answer.text
    assert "hunter2" in caplog.text  # the operator sees it
    # Not remembered: the sender's retry runs the handler again.
    handler.register_handler("property.created", lambda e: "fixed")
    retry = await inline.post(PATH, content=body, headers=headers)
    assert retry.status_code == 200 and retry.json()["result"] == "fixed"


async def test_busy_event_answers_409(tmp_path: Path) -> None:
    store = SQLDedupe(f"sqlite:///{tmp_path / 'busy.db'}")
    data = event()
    store.claim(data["id"], lease=60)
    body, headers = signed(data)
    async for c in _client(create_webhook_app(WebhookHandler(SECRET, dedupe=store))):
        answer = await c.post(PATH, content=body, headers=headers)
    assert answer.status_code == 409
    store.close()


async def test_queued_202_then_a_worker_runs_the_handler(
    handler: WebhookHandler, queue: TaskQueue, queued: httpx2.AsyncClient
) -> None:
    seen: list[str] = []
    handler.register_handler("property.created", lambda e: seen.append(e["id"]))
    data = event()
    body, headers = signed(data)
    answer = await queued.post(PATH, content=body, headers=headers)
    assert answer.status_code == 202
    assert answer.json()["status"] == "queued" and answer.json()["event_id"] == data["id"]
    assert seen == []  # not inside the request
    assert queue.stats()["pending"] == 1
    replay = await queued.post(PATH, content=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    queue.worker().run(stop_when_idle=True)
    assert seen == [data["id"]]
    assert queue.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}


async def test_queued_failure_goes_to_the_dead_letters(
    handler: WebhookHandler, queue: TaskQueue, queued: httpx2.AsyncClient
) -> None:
    queue.task(name=WEBHOOK_TASK, max_retries=1, retry_backoff=0.01)(handler.dispatch)

    @handler.on("property.created")
    def broken(data: dict[str, Any]) -> None:
        raise ValueError("nope")

    body, headers = signed(event())
    assert (await queued.post(PATH, content=body, headers=headers)).status_code == 202
    queue.worker().run(stop_when_idle=True)
    (letter,) = queue.dead_letters()
    assert letter["name"] == WEBHOOK_TASK and letter["attempts"] == 2
    assert letter["payload"]["event_type"] == "property.created"


async def test_queue_down_is_503_and_nothing_remembered(
    handler: WebhookHandler, tmp_path: Path
) -> None:
    broken = connect("amqp://guest:guest@127.0.0.1:9//?state=" + f"sqlite:///{tmp_path}/s.db")
    broken.app.conf.broker_connection_max_retries = 0  # type: ignore[attr-defined]
    broken.app.conf.broker_connection_timeout = 0.5  # type: ignore[attr-defined]
    body, headers = signed(event())
    async for c in _client(create_webhook_app(handler, queue=broken)):
        answer = await c.post(PATH, content=body, headers=headers)
    assert answer.status_code == 503
    assert "Connection" not in answer.text
    broken.close()


# -- Flask -------------------------------------------------------------------------------


@pytest.fixture
def flask_client(handler: WebhookHandler) -> Any:
    app = Flask(__name__)
    app.register_blueprint(create_webhook_blueprint(handler, max_body=4096))
    return app.test_client()


def test_flask_blueprint_gives_the_same_answers(handler: WebhookHandler, flask_client: Any) -> None:
    handler.register_handler("property.created", lambda e: {"status": "processed"})
    body, headers = signed(event())
    ok = flask_client.post(PATH, data=body, headers=headers)
    assert (ok.status_code, ok.get_json()) == (200, {"status": "processed"})
    assert flask_client.post(PATH, data=body, headers=headers).get_json()["status"] == "duplicate"
    missing = flask_client.post(PATH, data=body)
    assert (missing.status_code, missing.get_json()) == (400, {"error": "Missing signature"})
    assert flask_client.post(PATH, data=b"x" * 5000, headers=headers).status_code == 413
    bad = flask_client.post(PATH, data=body, headers={"X-OTC-Signature": "sha256=é"})
    assert bad.status_code == 400


def test_flask_queued(handler: WebhookHandler, queue: TaskQueue) -> None:
    app = Flask(__name__)
    app.register_blueprint(create_webhook_blueprint(handler, queue=queue))
    body, headers = signed(event())
    answer = app.test_client().post(PATH, data=body, headers=headers)
    assert answer.status_code == 202
    assert json.loads(answer.data)["status"] == "queued"
