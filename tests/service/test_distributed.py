"""The service scaled out: state on PostgreSQL, cache on Redis, Celery on RabbitMQ.

- sandbox -> webhooks -> ``otc serve --role web`` -> RabbitMQ -> two ``--role worker``
  processes -> the built-in cache invalidation and a user handler: every event handled
  exactly once, by both workers between them; a cached read after the change shows the
  new value; the web process's ``/metrics`` counts what the workers handled.
- Two scheduler processes with one sync job on the same PostgreSQL state: runs never
  overlap, the loser of each race skips its turn (``otc_sync_runs_total{outcome="locked"}``)
  and a SIGTERM leaves no lock behind.

Each test gets its own PostgreSQL database and RabbitMQ queue; the cache uses Redis
database 9, which no other test file uses.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import httpx2
import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.cache import CachedOTCClient, backend_from_url
from open_to_close.queue import connect
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import SyncState

from ._helpers import (
    AMQP,
    REDIS_CACHE_DB,
    SECRET,
    ServiceProcess,
    handled,
    pg_database,
    service_env,
    start_service,
    wait_until,
    write_config,
)

REDIS = f"redis://127.0.0.1:6379/{REDIS_CACHE_DB}"
PIKA_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
PROPERTIES = 120
HANDLER = '["tests.service._helpers:record"]'

SERVICE = """
[api]
base_url = "{base_url}"

[server]
port = 0
shutdown_grace = "20s"

[queue]
url = "{queue}"
concurrency = 2

[cache]
url = "{redis}"
prefix = "{cache_prefix}"

[state]
url = "{state}"

[metrics]
multiprocess_dir = "{metrics}"

[webhooks.builtin]
invalidate_cache = true

[webhooks.handlers]
"property.created" = {handler}
"property.updated" = {handler}
"property.status_changed" = {handler}
"""

SCHEDULER = """
[api]
base_url = "{base_url}"

[server]
port = 0

[state]
url = "{state}"

[[sync.jobs]]
name = "listings"
direction = "pull"
source = "{sink}"
every = "0.1s"
"""


@pytest.fixture
def pg() -> Iterator[str]:
    with pg_database() as url:
        yield url


def _clear_cache(prefix: str) -> None:
    import redis

    conn = redis.Redis.from_url(REDIS)
    try:
        keys = list(conn.scan_iter(f"{prefix}*", count=1000))
        if keys:
            conn.delete(*keys)
    finally:
        conn.close()


def _consumers(queue_name: str) -> int:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(PIKA_URL))
    try:
        declared = connection.channel().queue_declare(queue=queue_name, passive=True)
        return int(declared.method.consumer_count)
    except pika.exceptions.ChannelClosedByBroker:
        return 0  # not declared yet
    finally:
        if connection.is_open:
            connection.close()


def _delete_queue(queue_name: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(PIKA_URL))
    try:
        connection.channel().queue_delete(queue=queue_name)
    finally:
        connection.close()


def _metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_webhooks_through_celery_to_two_workers(sb: SandboxServer, pg: str, tmp_path: Path) -> None:
    queue_name = f"otc-svc-{uuid.uuid4().hex[:10]}"
    cache_prefix = f"{queue_name}:"  # this test's keys only: others share the Redis
    queue_url = f"{AMQP}?queue={queue_name}&state={quote(pg, safe='')}"
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    config = write_config(
        tmp_path / "otc.toml",
        SERVICE.format(
            base_url=sb.base_url,
            queue=queue_url,
            redis=REDIS,
            cache_prefix=cache_prefix,
            state=pg,
            metrics=metrics_dir,
            handler=HANDLER,
        ),
    )
    env = service_env(pg, OPEN_TO_CLOSE_API_KEY=sb.api_key)
    _clear_cache(cache_prefix)
    assert handled(pg) == {}
    services: list[ServiceProcess] = []
    subscription = None
    try:
        web = start_service(config, ["web"], env, tmp_path)
        workers = [start_service(config, ["worker"], env, tmp_path) for _ in range(2)]
        services += [web, *workers]
        for service in services:
            service.wait_started()
        # Both workers consume before the first event, so RabbitMQ shares the load.
        wait_until(lambda: _consumers(queue_name) == 2, 30, "two consumers on the queue")
        subscription = sb.subscribe(
            f"{web.url}/webhook/otc",
            events=["property.*"],
            secret=SECRET,
            max_retries=10,
            retry_backoff=0.2,
        )

        with (
            OpenToCloseAPI(sb.api_key, sb.base_url) as writer,
            OpenToCloseAPI(sb.api_key, sb.base_url) as reader,
        ):
            ids = [
                writer.properties.create_property({"address": f"{n} Scale Out Ave"})["id"]
                for n in range(PROPERTIES)
            ]
            watched = ids[0]
            cached = CachedOTCClient(reader, backend_from_url(REDIS, prefix=cache_prefix))
            assert cached.get_property(watched)["address"] == "0 Scale Out Ave"
            reads = _retrieves(sb)
            assert cached.get_property(watched)["address"] == "0 Scale Out Ave"
            assert _retrieves(sb) == reads  # served from Redis

            # A change made elsewhere (not through the cached client): only the webhook
            # tells the cache, through the web process, RabbitMQ and a worker.
            writer.properties.update_property(watched, {"address": "1 Moved St"})
            assert sb.wait_for_webhooks(60)
            deliveries = sb.deliveries()
            updated = [d["event_id"] for d in deliveries if d["event_type"] == "property.updated"]
            wait_until(lambda: set(updated) <= set(handled(pg)), 30, "the update handled")
            assert cached.get_property(watched)["address"] == "1 Moved St"
            assert _retrieves(sb) == reads + 1
            cached.close()

        sent = {d["event_id"] for d in deliveries}
        assert len(sent) == PROPERTIES + 1
        assert {d["status"] for d in deliveries} == {"delivered"}
        wait_until(lambda: set(handled(pg)) == sent, 60, "every event handled")
        queue = connect(queue_url)
        try:
            wait_until(lambda: queue.stats()["done"] == len(sent), 30, "tasks settled")
            stats = queue.stats()
        finally:
            queue.close()
        scrape = httpx2.get(f"{web.url}/metrics", timeout=10).text
        for service in services:
            assert service.terminate() == 0, service.text()
    finally:
        for service in services:
            service.kill()
        if subscription is not None:
            sb.unsubscribe(subscription["id"])
        _delete_queue(queue_name)
        _clear_cache(cache_prefix)

    rows = handled(pg)
    assert {n for _, n, _ in rows.values()} == {1}  # exactly once
    assert {pid for *_, pid in rows.values()} == {w.process.pid for w in workers}
    assert stats == {"pending": 0, "running": 0, "done": len(sent), "dead": 0}
    # The workers' counters, summed by the web process's /metrics.
    handled_created = _metric(
        scrape, "otc_service_events_total", event_type="property.created", outcome="handled"
    )
    assert handled_created == PROPERTIES
    assert _metric(scrape, "otc_service_events_total", outcome="failed") == 0


def _retrieves(sb: SandboxServer) -> int:
    return int(sb.stats()["requests"].get("GET /properties/{id}", 0))


def test_two_schedulers_never_run_a_job_at_once(pg: str, tmp_path: Path) -> None:
    # Every API call takes 150 ms, so each run outlasts the 0.1 s schedule and the other
    # scheduler's turn comes while the job is running.
    with SandboxServer(api_key="k-sched", latency_ms=150) as sandbox:
        with OpenToCloseAPI(sandbox.api_key, sandbox.base_url) as client:
            for n in range(3):
                client.properties.create_property({"address": f"{n} Cron Ct"})
        config = write_config(
            tmp_path / "otc.toml",
            SCHEDULER.format(base_url=sandbox.base_url, state=pg, sink=tmp_path / "out.jsonl"),
        )
        env = service_env(pg, OPEN_TO_CLOSE_API_KEY=sandbox.api_key)
        schedulers: list[ServiceProcess] = []
        try:
            for _ in range(2):
                schedulers.append(start_service(config, ["scheduler", "web"], env, tmp_path))
            for scheduler in schedulers:
                scheduler.wait_started()

            def skips() -> float:
                scrapes = [httpx2.get(f"{s.url}/metrics", timeout=10).text for s in schedulers]
                return sum(
                    _metric(text, "otc_sync_runs_total", job="listings", outcome="locked")
                    for text in scrapes
                )

            wait_until(lambda: skips() >= 3, 40, "a scheduler to find the job locked", 0.2)
            state = SyncState(pg)
            wait_until(lambda: len(state.history("listings")) >= 3, 30, "three runs")
            for scheduler in schedulers:
                assert scheduler.terminate() == 0, scheduler.text()
        finally:
            for scheduler in schedulers:
                scheduler.kill()

    runs = sorted(state.history("listings", limit=10_000), key=lambda r: r.started_at)
    with state.engine.connect() as conn:
        locks = conn.execute(state.tables.locks.select()).fetchall()
    state.close()
    assert {run.status for run in runs} == {"ok"}  # each run finished, even at SIGTERM
    assert runs[0].counts["pulled"] == 3
    for before, after in pairwise(runs):
        assert before.finished_at is not None
        assert after.started_at >= before.finished_at  # never two at once
    assert locks == []  # released on the way out
