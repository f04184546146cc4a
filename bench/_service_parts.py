"""The pieces of ``bench/service.py``: the load generator process, ``otc serve`` processes
and the set-ups they make, and the throwaway PostgreSQL database, RabbitMQ queues and Redis
keys of a run.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

from events import SECRET, deliveries, load  # the same deliveries and client

AMQP = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/10"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TICK = os.sysconf("SC_CLK_TCK")

EMBEDDED = """
[api]
base_url = "http://127.0.0.1:9/v1"
[server]
port = 0
[queue]
concurrency = 2
[webhooks.builtin]
invalidate_cache = true
"""

DISTRIBUTED = """
[api]
base_url = "http://127.0.0.1:9/v1"
[server]
port = 0
[queue]
url = "{queue}"
concurrency = 2
[cache]
url = "{redis}"
[state]
url = "{state}"
[webhooks.builtin]
invalidate_cache = true
"""


# -- the load generator (its own process): bench/events.py's deliveries and client --------


def _generator(conn: Connection, url: str, n: int) -> None:
    batch = deliveries(n)  # signed before the clock starts
    conn.send("ready")
    conn.recv()
    cpu, started = time.process_time(), time.monotonic()
    result = asyncio.run(load(url, batch))  # raises on an answer other than 200 or 202
    result.update(started=started, finished=time.monotonic(), cpu=time.process_time() - cpu)
    conn.send(result)


class Generator:
    """The load generator process, started and ready (deliveries signed) before ``go``."""

    def __init__(self, url: str, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_generator, args=(child, url, n), daemon=True)
        self.process.start()
        if not self.conn.poll(60) or self.conn.recv() != "ready":
            raise RuntimeError("the load generator did not start")

    def go(self) -> None:
        self.conn.send("go")

    def result(self, timeout: float = 300) -> dict[str, Any]:
        if not self.conn.poll(timeout):
            raise RuntimeError("the load generator did not finish")
        result: dict[str, Any] = self.conn.recv()
        self.process.join(10)
        return result


# -- services ---------------------------------------------------------------------------


class Serve:
    """One ``otc serve`` process."""

    def __init__(self, config: Path, roles: list[str], workdir: Path) -> None:
        env = {
            **os.environ,
            "OTC_WEBHOOK_SECRET": SECRET,
            "OPEN_TO_CLOSE_API_KEY": "bench-key",
            "COLUMNS": "300",
        }
        command = [sys.executable, "-c", "from open_to_close.cli import main; main()", "serve"]
        command += ["--config", str(config)] + [arg for r in roles for arg in ("--role", r)]
        self.log = workdir / f"serve-{uuid.uuid4().hex[:8]}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=sink
            )
        deadline = time.monotonic() + 60
        while not re.search(r"otc serve:.*\n", text := self.log.read_text()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"otc serve did not start:\n{text}")
            time.sleep(0.02)
        found = re.search(r"http://[\w.]+:\d+", text)
        self.url = found.group(0) if found else ""

    def cpu(self) -> float:
        """CPU seconds (user + system) this process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextmanager
def serving(
    config: Path, roles_per_process: list[list[str]], workdir: Path
) -> Iterator[list[Serve]]:
    started: list[Serve] = []
    try:
        for roles in roles_per_process:
            started.append(Serve(config, roles, workdir))
        yield started
    finally:
        for serve in started:
            serve.stop()


def servers_cpu() -> dict[int, float]:
    """CPU seconds of the PostgreSQL and Redis processes on this machine, by pid."""
    out: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            head, _, rest = stat.read_text().rpartition(")")
            if head.split("(", 1)[1] in ("postgres", "redis-server"):
                fields = rest.split()
                out[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def wait_done(done: Callable[[], int], n: int, timeout: float = 300) -> float:
    """Poll the queue's done counter until it reaches ``n``; when it did (monotonic)."""
    deadline = time.monotonic() + timeout
    while done() < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done()} of {n} events handled in {timeout:.0f} s")
        time.sleep(0.01)
    return time.monotonic()


class SetUp:
    """A set-up: how to make its config for a fresh queue, and which processes it runs."""

    def __init__(self, name: str, workers: int) -> None:
        self.name = name
        self.workers = workers
        self.queues: list[str] = []

    def config(self, workdir: Path) -> tuple[Path, str]:
        """The config file and the queue URL of a fresh queue in ``workdir``."""
        raise NotImplementedError

    def web_roles(self) -> list[list[str]]:
        return [["web"]]

    def worker_roles(self) -> list[list[str]]:
        return [["worker"]] * self.workers

    def all_roles(self) -> list[list[str]]:
        return [["web", "worker", "scheduler"]]


class Embedded(SetUp):
    def __init__(self) -> None:
        super().__init__("embedded", 1)

    def config(self, workdir: Path) -> tuple[Path, str]:
        path = workdir / "otc.toml"
        path.write_text(EMBEDDED)
        return path, f"sqlite:///{workdir / '.otc' / 'queue.db'}"  # the default queue


class EmbeddedSplit(Embedded):
    """The embedded set-up with the worker in a process of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "embedded, 2 processes"

    def all_roles(self) -> list[list[str]]:
        return [["web", "scheduler"], ["worker"]]


class Distributed(SetUp):
    def __init__(self, state: str) -> None:
        super().__init__("distributed", 2)
        self.state = state

    def config(self, workdir: Path) -> tuple[Path, str]:
        name = f"bench-svc-{uuid.uuid4().hex[:8]}"
        self.queues.append(name)
        queue = f"{AMQP}?queue={name}&state={quote(self.state, safe='')}"
        path = workdir / "otc.toml"
        path.write_text(DISTRIBUTED.format(queue=queue, redis=REDIS, state=self.state))
        return path, queue

    def all_roles(self) -> list[list[str]]:
        return self.web_roles() + self.worker_roles()


# -- throwaway server-side state ------------------------------------------------------


@contextmanager
def pg_database() -> Iterator[str]:
    """A database made for the run on the machine's PostgreSQL, dropped after."""
    import psycopg

    name = f"otc_bench_{uuid.uuid4().hex[:10]}"
    admin = PG.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def delete_queues(names: list[str]) -> None:
    """Delete the run's RabbitMQ queues (what is left in them goes too)."""
    import pika

    connection = pika.BlockingConnection(
        pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F")
    )
    try:
        channel = connection.channel()
        for name in names:
            with suppress(Exception):
                channel.queue_delete(queue=name)
    finally:
        connection.close()


def clear_redis() -> None:
    """Drop the cache entries in the benchmark's Redis database."""
    import redis

    conn = redis.Redis.from_url(REDIS)
    keys = list(conn.scan_iter("otc:*", count=1000))
    if keys:
        conn.delete(*keys)
    conn.close()
