"""Service benchmark: events/s from webhook to finished handler, through ``otc serve``.

    python bench/service.py            # 3,000 events per run, 3 rounds (about 3 minutes)
    python bench/service.py --quick    # 600 events per run, 1 round (about 40 s)

Three set-ups, each ``otc serve`` processes started as a user would:

- embedded: one process with every role; SQLite queue, memory cache, SQLite state;
- embedded, 2 processes: the same files, ``--role web --role scheduler`` and ``--role
  worker`` in two processes (a worker in another process finds new tasks by polling);
- distributed: ``--role web`` plus two ``--role worker`` processes (2 threads each); Celery
  on RabbitMQ, state (and the queue's bookkeeping) on PostgreSQL in a database made for the
  run, cache on Redis.

Every event runs the built-in ``invalidate_cache`` handler. The load generator is another
process (aiohttp, 16 deliveries in flight, distinct signed ``property.updated`` events).
Per set-up, each run on a fresh queue:

1. end to end: all roles up; from the first POST until the queue counts the last task done
   (polled every 10 ms), plus the CPU each process spent per event;
2. receive only: the web role alone, deliveries accepted per second;
3. drain only: the workers started on the queue (2) filled, tasks/s from the first task
   done to the last.

A bare Starlette endpoint under the same load (``bench/events.py``'s) gives the HTTP
ceiling of this machine. Then, in this process, the cost of each step of one event, one at
a time: where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _service_parts import (
    AMQP,
    REDIS,
    Distributed,
    Embedded,
    EmbeddedSplit,
    Generator,
    SetUp,
    clear_redis,
    delete_queues,
    pg_database,
    servers_cpu,
    serving,
    wait_done,
)
from events import IN_FLIGHT, SECRET, deliveries
from open_to_close.queue import connect
from open_to_close.webhooks import WebhookHandler


def _done_counter(queue_url: str) -> tuple[Any, Callable[[], int]]:
    queue = connect(queue_url)
    return queue, lambda: int(queue.stats()["done"])


def end_to_end(setup: SetUp, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config, queue_url = setup.config(workdir)
        with serving(config, setup.all_roles(), workdir) as processes:
            queue, done = _done_counter(queue_url)
            generator = Generator(processes[0].url + "/webhook/otc", n)
            cpu_before, servers_before = [p.cpu() for p in processes], servers_cpu()
            generator.go()
            finished = wait_done(done, n)
            posted = generator.result()
            cpu = [p.cpu() - before for p, before in zip(processes, cpu_before, strict=True)]
            servers = sum(
                spent - servers_before.get(pid, 0.0) for pid, spent in servers_cpu().items()
            )
            queue.close()
    elapsed = finished - posted["started"]
    return {
        "rate": n / elapsed,
        "accept_rate": n / (posted["finished"] - posted["started"]),
        "lag": finished - posted["finished"],
        "p50": posted["p50"],
        "p99": posted["p99"],
        "cpu_ms": [1000 * c / n for c in cpu],
        "generator_cpu_ms": 1000 * posted["cpu"] / n,
        "servers_cpu_ms": 1000 * servers / n,
        "elapsed": elapsed,
    }


def split_stages(setup: SetUp, n: int) -> dict[str, float]:
    """Receive with the web role alone, then drain with the workers alone."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config, queue_url = setup.config(workdir)
        with serving(config, setup.web_roles(), workdir) as (web,):
            generator = Generator(web.url + "/webhook/otc", n)
            generator.go()
            posted = generator.result()
        queue, done = _done_counter(queue_url)
        with serving(config, setup.worker_roles(), workdir):
            wait_done(lambda: min(done(), 1), 1)
            first = time.monotonic()
            finished = wait_done(done, n)
        queue.close()
    return {
        "receive": n / (posted["finished"] - posted["started"]),
        "drain": (n - 1) / max(finished - first, 1e-9),
    }


# -- where time goes: each step of one event, in this process ---------------------------


def per_event(step: Callable[[int], object], n: int) -> float:
    """Microseconds per call of ``step(i)``, the median of three rounds of ``n``."""
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        for i in range(n):
            step(i)
        rounds.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(rounds)


def step_costs(state: str, n: int) -> dict[str, dict[str, float]]:
    from open_to_close import OpenToCloseAPI
    from open_to_close.cache import CachedOTCClient, backend_from_url
    from open_to_close.service.handlers import CacheInvalidator

    batch = deliveries(n * 3)  # enqueue_once takes each event once over three rounds
    handler = WebhookHandler(SECRET)
    events = [handler.parse(body, headers=headers) for body, headers in batch]

    def parse(i: int) -> object:
        body, headers = batch[i]
        return handler.parse(body, headers=headers)

    verify = per_event(parse, n)
    costs: dict[str, dict[str, float]] = {"verify": {"embedded": verify, "distributed": verify}}

    store: dict[str, float] = {}
    name = f"bench-svc-steps-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        for kind, url in (
            ("embedded", f"sqlite:///{tmp}/steps.db"),
            ("distributed", f"{AMQP}?queue={name}&state={quote(state, safe='')}"),
        ):
            queue = connect(url)
            offset = {"n": 0}

            def enqueue(i: int, queue: Any = queue, offset: dict[str, int] = offset) -> None:
                event = events[offset["n"]]
                offset["n"] += 1
                queue.enqueue_once("otc.webhook", event.data, key=event.id)

            store[kind] = per_event(enqueue, n)
            if kind == "distributed":
                publish = queue._run.apply_async  # the broker's part of enqueue_once

                def send(i: int, publish: Any = publish, queue: Any = queue) -> None:
                    args = ("otc.webhook", events[i].data)
                    publish(args=args, task_id=uuid.uuid4().hex, queue=queue.queue_name)

                costs["publish"] = {"distributed": per_event(send, n)}
            queue.close()
    delete_queues([name])
    costs["store"] = store

    handle: dict[str, float] = {}
    with OpenToCloseAPI("bench-key", "http://127.0.0.1:9/v1") as client:
        for kind, url in (("embedded", None), ("distributed", REDIS)):
            cached = CachedOTCClient(client, backend_from_url(url))
            invalidate = CacheInvalidator(cached)
            handle[kind] = per_event(lambda i, f=invalidate: f(events[i].data), n)
            cached.close()
    costs["handler"] = handle
    return costs


def store_contention(n: int) -> dict[str, list[float]]:
    """``enqueue_once`` on the embedded queue, timed call by call, alone and with a worker
    (2 threads) draining the same file: median, p99 and worst, in µs."""
    import threading

    out: dict[str, list[float]] = {}
    for label in ("alone", "with a worker"):
        with tempfile.TemporaryDirectory() as tmp:
            queue = connect(f"sqlite:///{tmp}/contention.db")
            queue.task(name="otc.webhook")(lambda payload: None)
            worker = queue.worker(2)
            thread = threading.Thread(target=worker.run, daemon=True)
            if label != "alone":
                thread.start()
            times = []
            for i in range(n):
                started = time.perf_counter()
                queue.enqueue_once("otc.webhook", {"i": i}, key=uuid.uuid4().hex)
                times.append((time.perf_counter() - started) * 1e6)
                if i % IN_FLIGHT == 0:
                    time.sleep(0)  # yield, as an event loop does between requests
            if thread.is_alive():
                worker.stop()
                thread.join(10)
            queue.close()
        times.sort()
        out[label] = [times[len(times) // 2], times[int(len(times) * 0.99)], times[-1]]
    return out


# -- the run ---------------------------------------------------------------------------


def bare_http(n: int) -> float:
    """Deliveries/s a bare Starlette endpoint answering 200 takes: the HTTP ceiling."""
    from events import server_process  # bench/events.py: same uvicorn set-up

    with tempfile.TemporaryDirectory() as tmp, server_process("bare", tmp) as url:
        generator = Generator(url, n)
        generator.go()
        posted = generator.result()
    return n / (posted["finished"] - posted["started"])


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, list):
            out[key] = [statistics.median(r[key][i] for r in runs) for i in range(len(value))]
        else:
            out[key] = statistics.median(r[key] for r in runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="600 events, one round")
    parser.add_argument("--events", type=int, help="events per run")
    parser.add_argument("--rounds", type=int, help="rounds (medians are shown)")
    args = parser.parse_args()
    n = args.events or (600 if args.quick else 3000)
    rounds = args.rounds or (1 if args.quick else 3)

    with pg_database() as state:
        setups: list[SetUp] = [Embedded(), EmbeddedSplit(), Distributed(state)]
        runs: dict[str, list[dict[str, Any]]] = {setup.name: [] for setup in setups}
        bare: list[float] = []
        try:
            for setup in setups:
                end_to_end(setup, min(n, 200))  # warm up: first imports, tables, queues
            for _ in range(rounds):  # interleaved, so a busy moment hits every figure
                bare.append(bare_http(n))
                for setup in setups:
                    clear_redis()
                    figures = end_to_end(setup, n)
                    if not isinstance(setup, EmbeddedSplit):  # same stages as embedded
                        figures.update(split_stages(setup, n))
                    runs[setup.name].append(figures)
            steps = step_costs(state, min(n, 1000))
            contention = store_contention(4000)
        finally:
            delete_queues([q for s in setups for q in s.queues])
            clear_redis()
    report(n, rounds, {name: median_of(r) for name, r in runs.items()}, bare, steps)
    print("\nembedded enqueue_once, timed call by call (µs): median / p99 / worst")
    for label, (p50, p99, worst) in contention.items():
        print(f"  {label:50} {p50:10,.0f} {p99:10,.0f} {worst:10,.0f}")


ROWS = [
    ("end to end: webhook to finished handler (events/s)", "rate", "{:,.0f}"),
    ("  deliveries accepted meanwhile (events/s)", "accept_rate", "{:,.0f}"),
    ("  last handler finished after the last 202 (s)", "lag", "{:.2f}"),
    ("  delivery latency p50 (ms)", "p50", "{:.1f}"),
    ("  delivery latency p99 (ms)", "p99", "{:.1f}"),
    ("  service CPU, per process (ms/event)", "cpu_ms", None),
    ("  load generator CPU (ms/event)", "generator_cpu_ms", "{:.2f}"),
    ("  PostgreSQL + Redis CPU, anyone's (ms/event)", "servers_cpu_ms", "{:.2f}"),
    ("receive only: the web role alone (events/s)", "receive", "{:,.0f}"),
    ("drain only: the workers alone (tasks/s)", "drain", "{:,.0f}"),
]


def report(
    n: int,
    rounds: int,
    results: dict[str, dict[str, Any]],
    bare: list[float],
    steps: dict[str, dict[str, float]],
) -> None:
    ceiling = statistics.median(bare)
    names = list(results)
    width = max(len(name) for name in names) + 2
    print(f"\n{n:,} events per run, {IN_FLIGHT} in flight, medians of {rounds} round(s)")
    print(" " * 52 + "".join(f"{name:>{width}}" for name in names))
    for label, key, fmt in ROWS:
        cells = []
        for name in names:
            value = results[name].get(key)
            if value is None:
                cells.append("-")
            elif fmt is None:
                cells.append(" + ".join(f"{c:.2f}" for c in value))
            else:
                cells.append(fmt.format(value))
        print(f"{label:52}" + "".join(f"{cell:>{width}}" for cell in cells))
    ratios = "".join(f"{results[name]['rate'] / ceiling:>{width - 1}.2f}x" for name in names)
    print(f"{'end to end / bare Starlette endpoint':52}{ratios}")
    print(f"  (bare endpoint under the same load: {ceiling:,.0f} events/s)")
    print("\nwhere one event's time goes, in this process (µs per event, one at a time)")
    print(" " * 52 + f"{'embedded':>{width}}{'distributed':>{width}}")
    for step, label in (
        ("verify", "verify both signatures + decode JSON"),
        ("store", "store + dedupe (enqueue_once)"),
        ("publish", "  of which the Celery publish"),
        ("handler", "built-in invalidate_cache"),
    ):
        row = steps[step]
        cells = [f"{row[k]:,.0f}" if k in row else "-" for k in ("embedded", "distributed")]
        print(f"{label:52}" + "".join(f"{cell:>{width}}" for cell in cells))


if __name__ == "__main__":
    main()
