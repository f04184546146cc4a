"""Events benchmark: the webhook receiver against a bare endpoint, and the queue workers.

    python bench/events.py            # full run (about a minute)
    python bench/events.py --quick    # smaller counts, for a smoke check

- Receiver: signed deliveries posted by this process (aiohttp, 16 in flight) to a server
  in another process: ``create_webhook_app`` with a SQLite queue (verify, dedupe, store
  durably, 202) against a bare Starlette endpoint that only answers 200. Rounds are
  interleaved and medians taken; events/s, p50 and p99 latency, and the ratio.
- Workers: no-op tasks/s of the SQLite worker, and of Celery on the local RabbitMQ.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import _process
from open_to_close.queue import connect
from open_to_close.webhooks import sign_headers

SECRET = "bench-secret-0001"
PATH = "/webhook/otc"
IN_FLIGHT = 16


def _serve(conn: Connection, kind: str, workdir: str) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from open_to_close.webhooks import WebhookHandler, create_webhook_app
    from open_to_close.webhooks.server import BackgroundServer

    if kind == "receiver":
        handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{workdir}/seen.db")
        app: Any = create_webhook_app(handler, queue=connect(f"sqlite:///{workdir}/events.db"))
    else:

        async def ok(request: Request) -> Response:
            return Response(b"{}", media_type="application/json")

        app = Starlette(routes=[Route(PATH, ok, methods=["POST"])])
    with BackgroundServer(app) as server:
        conn.send(server.url + PATH)
        conn.recv()


def server_process(kind: str, workdir: str) -> Any:
    """The receiver or the bare endpoint in a process of its own; yields its URL."""
    return _process(_serve, kind, workdir)


def deliveries(n: int) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for i in range(n):
        event_id = f"evt_{uuid.uuid4().hex[:24]}"
        body = json.dumps(
            {
                "id": event_id,
                "event_type": "property.updated",
                "created_at": "2026-01-01T00:00:00Z",
                "property": {"id": i, "address": f"{i} Bench St", "status": "active"},
            }
        ).encode()
        out.append((body, sign_headers(SECRET, body, event_id)))
    return out


async def load(url: str, batch: list[tuple[bytes, dict[str, str]]]) -> dict[str, float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    pending = iter(batch)
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            for body, headers in pending:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                latencies.append(time.perf_counter() - started)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
    if set(statuses) - {200, 202}:
        raise RuntimeError(f"unexpected answers: {statuses}")
    latencies.sort()
    return {
        "rate": len(batch) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def receiver_vs_bare(n: int, rounds: int) -> dict[str, dict[str, float]]:
    results: dict[str, list[dict[str, float]]] = {"receiver": [], "bare": []}
    with (
        tempfile.TemporaryDirectory() as workdir,
        server_process("receiver", workdir) as receiver,
        server_process("bare", workdir) as bare,
    ):
        urls = {"receiver": receiver, "bare": bare}
        asyncio.run(load(receiver, deliveries(200)))  # warm up both
        asyncio.run(load(bare, deliveries(200)))
        for _ in range(rounds):
            for name, url in urls.items():
                results[name].append(asyncio.run(load(url, deliveries(n))))
    return {
        name: {key: statistics.median(r[key] for r in runs) for key in ("rate", "p50", "p99")}
        for name, runs in results.items()
    }


def worker_rate(url: str, n: int, concurrency: int) -> float:
    queue = connect(url)
    queue.task(name="noop")(lambda payload: None)
    for i in range(n):
        queue.enqueue("noop", i)
    started = time.perf_counter()
    queue.worker(concurrency=concurrency).run(stop_when_idle=True)
    elapsed = time.perf_counter() - started
    done = queue.stats()["done"]
    queue.close()
    if done != n:
        raise RuntimeError(f"{url}: {done} of {n} tasks done")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, rounds = (1000, 3) if args.quick else (3000, 5)
    figures = receiver_vs_bare(n, rounds)
    ours, bare = figures["receiver"], figures["bare"]
    print(f"receiver (verify + dedupe + durable SQLite queue, {IN_FLIGHT} in flight)")
    for name, row in (("receiver", ours), ("bare Starlette 200", bare)):
        print(
            f"  {name:20} {row['rate']:8,.0f} events/s"
            f"   p50 {row['p50']:.2f} ms   p99 {row['p99']:.2f} ms"
        )
    print(f"  ratio {ours['rate'] / bare['rate']:.2f}x (target >= 0.5x)")

    tasks = 2000 if args.quick else 10_000
    with tempfile.TemporaryDirectory() as workdir:
        sqlite_rate = worker_rate(f"sqlite:///{workdir}/bench.db", tasks, 1)
    print(f"SQLite worker, 1 thread: {sqlite_rate:,.0f} no-op tasks/s (target >= 1,000)")
    celery_tasks = 1000 if args.quick else 3000
    with tempfile.TemporaryDirectory() as workdir:
        url = (
            f"amqp://guest:guest@127.0.0.1:5672//?queue=bench-{uuid.uuid4().hex[:8]}"
            f"&state=sqlite:///{workdir}/state.db"
        )
        celery_rate = worker_rate(url, celery_tasks, 2)
    print(f"Celery on RabbitMQ, 2 threads: {celery_rate:,.0f} no-op tasks/s (start-up included)")


if __name__ == "__main__":
    main()
