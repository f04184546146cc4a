"""The webhook soak of issue 11: signed deliveries through ``otc serve`` with Celery on
RabbitMQ while the broker link is dropped twice and a worker is SIGKILLed.

``run_soak`` starts a ``--role web`` and two ``--role worker`` processes whose broker URL
goes through a TCP proxy of its own (a RabbitMQ queue and a PostgreSQL database made for
the run), posts the deliveries with :class:`SoakSender` (8 threads, retried until 2xx), and
meanwhile, as the 2xx answers reach 20%, 45% and 70%: drops every broker link (silent for
half a second, as a dying link is: bytes sent then never arrive; then closed) and refuses
new ones for ``refuse_for`` seconds; SIGKILLs a worker and starts another, as a supervisor
would; drops the links again. The user handler (``_soak_hook.record``) keeps each run of
each event in PostgreSQL: which worker, and whether it finished.

What the service promises (docs/service.md) and so what is checked, once the queue is quiet:

- nothing lost: every event answered 2xx (202 queued, or 200 duplicate) is handled (a run
  finished), or at least sits in the dead letters (a failure too: no handler fails here);
- handled once: one finished run per event. Delivery is at least once only where a worker
  died ("a task whose worker died runs again"): an event run to the end by the killed
  worker (which died before it could settle it) may be run again; counted apart, allowed.
  Runs the kill cut short are counted too (each must have finished elsewhere);
- the sender got a 2xx for every delivery before its deadline, and the three disruptions
  happened while deliveries were still being sent (else the soak tested nothing).

``bench/soak_webhooks.py`` runs it at 10,000 deliveries; ``test_soak.py`` at 300.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.cache._proxy import TcpProxy

from ._helpers import (
    REPO,
    ServiceProcess,
    pg_database,
    service_env,
    start_service,
    wait_until,
    write_config,
)
from ._soak_hook import create_table, runs
from ._soak_sender import SoakSender
from ._soak_verdict import Runs, SoakResult, finished_pids, verdict

RABBIT = ("127.0.0.1", 5672)
PIKA_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
PLAN = ((0.20, "drop"), (0.45, "kill"), (0.70, "drop"))
WORKERS = 2
STALL = 0.5  # seconds a link is silent before it is cut

CONFIG = """
[api]
base_url = "http://127.0.0.1:9/v1"

[server]
port = 0
shutdown_grace = "10s"

[queue]
url = "{queue}"
concurrency = {concurrency}

[state]
url = "{state}"

[webhooks.handlers]
"property.created" = ["tests.service._soak_hook:record"]
"""


def rabbit_queue(name: str) -> tuple[int, int]:
    """``(messages ready, consumers)`` of a RabbitMQ queue, straight to the broker."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(PIKA_URL))
    try:
        declared = connection.channel().queue_declare(queue=name, passive=True)
        return int(declared.method.message_count), int(declared.method.consumer_count)
    except pika.exceptions.ChannelClosedByBroker:
        return 0, 0  # not declared yet
    finally:
        if connection.is_open:
            connection.close()


def delete_rabbit_queue(name: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(PIKA_URL))
    try:
        with suppress(Exception):
            connection.channel().queue_delete(queue=name)
    finally:
        if connection.is_open:
            connection.close()


class Chaos(threading.Thread):
    """Runs :data:`PLAN` as the sender's 2xx answers pass each share of the deliveries."""

    def __init__(self, sender: SoakSender, proxy: TcpProxy, cluster: Cluster) -> None:
        super().__init__(name="soak-chaos", daemon=True)
        self.sender, self.proxy, self.cluster = sender, proxy, cluster
        self.log: list[str] = []
        self.after_sending = 0  # disruptions that came once every delivery had its 2xx
        self.killed: list[int] = []

    def run(self) -> None:
        total = len(self.sender.deliveries)
        for share, action in PLAN:
            while self.sender.accepted() < share * total and not self.sender.finished:
                time.sleep(0.01)
            accepted = self.sender.accepted()
            if accepted >= total:
                self.after_sending += 1
            began = time.monotonic()
            what = self._drop() if action == "drop" else self._kill()
            self.log.append(
                f"{began - self.sender.started:6.1f} s, {accepted:,}/{total:,} answered 2xx: "
                f"{what} ({time.monotonic() - began:.1f} s)"
            )

    def _drop(self) -> str:
        # A link that dies goes quiet before it closes: what is sent meanwhile vanishes.
        self.proxy.swallow.set()
        time.sleep(STALL)
        self.proxy.stop()  # every link cut, new ones refused
        self.proxy.swallow.clear()
        time.sleep(self.cluster.refuse_for)
        self.proxy.start()  # the same port again
        return (
            f"broker links silent {STALL:g} s, then cut, connections refused "
            f"{self.cluster.refuse_for:g} s"
        )

    def _kill(self) -> str:
        worker = self.cluster.workers[0]
        pid = worker.process.pid
        os.kill(pid, signal.SIGKILL)
        worker.process.wait(10)
        self.killed.append(pid)
        self.cluster.workers[0] = self.cluster.start("worker")  # as a supervisor would
        return f"worker pid {pid} SIGKILLed, pid {self.cluster.workers[0].process.pid} started"


@dataclass
class Cluster:
    """The run's ``otc serve`` processes, from one config file."""

    config: Path
    env: dict[str, str]
    workdir: Path
    refuse_for: float
    processes: list[ServiceProcess] = field(default_factory=list)
    workers: list[ServiceProcess] = field(default_factory=list)

    def start(self, role: str) -> ServiceProcess:
        process = start_service(self.config, [role], self.env, self.workdir)
        self.processes.append(process)
        return process

    def logs(self) -> list[str]:
        return [line for p in self.processes for line in p.text().splitlines()]

    def stop(self) -> None:
        for process in self.processes:
            with suppress(Exception):
                process.terminate(20)
            process.kill()


@contextmanager
def _services(
    workdir: Path, queue_name: str, proxy: TcpProxy, state: str, **options: Any
) -> Iterator[Cluster]:
    queue = (
        f"amqp://guest:guest@127.0.0.1:{proxy.port}//"
        f"?queue={queue_name}&state={quote(state, safe='')}"
    )
    config = write_config(
        workdir / "otc.toml",
        CONFIG.format(queue=queue, concurrency=options["concurrency"], state=state),
    )
    delay = str(options["handler_delay"])
    # The code beside this harness, even where another checkout is installed.
    path = os.pathsep.join([str(REPO / "src"), str(REPO)])
    env = service_env(state, OTC_TEST_HANDLER_DELAY=delay, PYTHONPATH=path)
    cluster = Cluster(config, env, workdir, options["refuse_for"])
    try:
        web = cluster.start("web")
        cluster.workers = [cluster.start("worker") for _ in range(WORKERS)]
        for process in cluster.processes:
            process.wait_started(60)
        # Both workers consume before the first event, so the kill has work to interrupt.
        wait_until(lambda: rabbit_queue(queue_name)[1] == WORKERS, 60, "the workers consuming")
        assert web.url
        yield cluster
    finally:
        cluster.stop()


def run_soak(
    deliveries: int,
    workdir: Path,
    *,
    threads: int = 8,
    rate: float | None = None,
    refuse_for: float = 2.0,
    handler_delay: float = 0.0,
    concurrency: int = 2,
    settle: float = 20.0,
) -> SoakResult:
    """Run the soak in ``workdir`` (its config and the services' logs stay there)."""
    queue_name = f"otc-soak-{uuid.uuid4().hex[:10]}"
    proxy = TcpProxy(RABBIT)
    proxy.start()
    try:
        with pg_database() as state:
            create_table(state)
            with _services(
                workdir,
                queue_name,
                proxy,
                state,
                concurrency=concurrency,
                handler_delay=handler_delay,
                refuse_for=refuse_for,
            ) as cluster:
                deadline = max(120.0, deliveries / 20)
                sender = SoakSender(
                    f"{cluster.processes[0].url}/webhook/otc",
                    deliveries,
                    threads=threads,
                    rate=rate,
                    deadline=deadline,
                )
                chaos = Chaos(sender, proxy, cluster)
                sender.start()
                chaos.start()
                sender.join()
                chaos.join(120)
                for worker in cluster.workers:
                    worker.wait_started(60)  # the one started after the kill too
                record, drained = _settle(sender, state, queue_name, settle)
                stats, letters = _queue_records(queue_name, state)
                left, _ = rabbit_queue(queue_name)
                logs = cluster.logs()
            return verdict(
                sender,
                record,
                drained=drained,
                stats=stats,
                letters=letters,
                left_in_broker=left,
                logs=logs,
                killed=chaos.killed,
                disruptions=chaos.log,
                all_while_sending=not chaos.after_sending and len(chaos.log) == len(PLAN),
            )
    finally:
        proxy.stop()
        delete_rabbit_queue(queue_name)


def _settle(sender: SoakSender, state: str, queue_name: str, settle: float) -> tuple[Runs, float]:
    """Wait until every accepted event has a finished run, or nothing moves for ``settle``
    seconds with the broker's queue empty; the runs, and when the last change was seen."""
    wanted = {d.event_id for d in sender.deliveries if d.accepted}
    last_change, seen = time.monotonic(), -1
    while True:
        record = runs(state)
        done = {event_id for event_id, runs_ in record.items() if finished_pids(runs_)}
        progress = sum(len(finished_pids(runs_)) for runs_ in record.values())
        if progress != seen:
            last_change, seen = time.monotonic(), progress
        if wanted <= done:
            return record, last_change
        if time.monotonic() - last_change > settle and rabbit_queue(queue_name)[0] == 0:
            return record, last_change
        time.sleep(0.5)


def _queue_records(queue_name: str, state: str) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The Celery queue's own counts and dead letters (its state store, not the broker)."""
    from open_to_close.queue import connect

    url = f"amqp://guest:guest@127.0.0.1:5672//?queue={queue_name}&state={quote(state, safe='')}"
    queue = connect(url)
    try:
        return queue.stats(), queue.dead_letters()
    finally:
        queue.close()
