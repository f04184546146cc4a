"""Helpers for the service's survival tests: ``otc serve`` in subprocesses, a handler that
records what it handled, a signed-delivery sender, and a throwaway PostgreSQL database.

``record`` is the user handler the services load by dotted path
(``tests.service._helpers:record``). Each event it handles adds one to its row in the
table ``handled`` of ``OTC_TEST_RECORD_URL`` (SQLite or PostgreSQL), with the pid of the
process, so a test sees an event handled twice (``n = 2``) and which worker handled it.
``OTC_TEST_HANDLER_DELAY`` (seconds) makes each event take that long, so a signal lands
while tasks are running.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec-service-survival-3b9"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AMQP = "amqp://guest:guest@127.0.0.1:5672//"
REDIS_CACHE_DB = 9  # no other test uses it; cache keys have a fixed prefix

_UPSERT = (
    "INSERT INTO handled (event_id, event_type, n, pid) VALUES (:id, :type, 1, :pid) "
    "ON CONFLICT (event_id) DO UPDATE SET n = handled.n + 1"
)
_engine: Any = None
_engine_lock = threading.Lock()


def _record_engine() -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            import sqlalchemy as sa

            url = os.environ["OTC_TEST_RECORD_URL"]
            args = {"timeout": 30} if url.startswith("sqlite") else {}
            _engine = sa.create_engine(url, connect_args=args)
        return _engine


def create_handled_table(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS handled (event_id VARCHAR(64) PRIMARY KEY, "
                "event_type VARCHAR(64) NOT NULL, n INTEGER NOT NULL, pid INTEGER NOT NULL)"
            )
        )


def record(event: dict[str, Any]) -> None:
    """The user handler: count this event in ``handled``."""
    from sqlalchemy import text

    delay = float(os.environ.get("OTC_TEST_HANDLER_DELAY", "0"))
    if delay:
        time.sleep(delay)
    values = {"id": event["id"], "type": event["event_type"], "pid": os.getpid()}
    with _record_engine().begin() as conn:
        conn.execute(text(_UPSERT), values)


def handled(url: str) -> dict[str, tuple[str, int, int]]:
    """``event_id -> (event_type, times handled, pid)`` as recorded by :func:`record`.

    The first call creates the table: make it before the services start (two processes
    racing on ``CREATE TABLE IF NOT EXISTS`` collide on PostgreSQL)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        create_handled_table(engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT event_id, event_type, n, pid FROM handled"))
            return {row[0]: (row[1], row[2], row[3]) for row in rows}
    finally:
        engine.dispose()


# -- PostgreSQL -------------------------------------------------------------------------


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL (dropped after), as a SQLAlchemy URL."""
    import psycopg

    name = f"otc_svc_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- services in subprocesses -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class ServiceProcess:
    """One ``otc serve`` subprocess; its stderr goes to a file the test can read."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_started(self, timeout: float = 30.0) -> ServiceProcess:
        """Until the banner is printed (all roles started); the web role's URL if any."""
        deadline = time.monotonic() + timeout
        while not re.search(r"otc serve:.*\n", self.text()):
            if self.process.poll() is not None:
                raise RuntimeError(f"otc serve exited ({self.process.returncode}):\n{self.text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"otc serve did not start:\n{self.text()}")
            time.sleep(0.02)
        found = re.search(r"http://[\w.]+:\d+", self.text())
        self.url = found.group(0) if found else ""
        return self

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code (SIGKILL if it does not stop in ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def service_env(record_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OTC_WEBHOOK_SECRET": SECRET,
        "OPEN_TO_CLOSE_API_KEY": "test-key-service",
        "OTC_TEST_RECORD_URL": record_url,
        "COLUMNS": "300",  # the banner's URL on one line
        **extra,
    }


def start_service(
    config: Path, roles: Iterable[str], env: dict[str, str], cwd: Path, *extra: str
) -> ServiceProcess:
    """``otc serve --config <config> --role ...`` in its own process (not started yet)."""
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()", "serve"]
    command += ["--config", str(config)]
    for role in roles:
        command += ["--role", role]
    log = cwd / f"serve-{uuid.uuid4().hex[:8]}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, *extra], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=sink
        )
    return ServiceProcess(process, log)


def run_otc(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Any:
    """``otc <args>`` to completion: the CompletedProcess (text)."""
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        env=env or service_env("sqlite://"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


# -- a signed-delivery sender -----------------------------------------------------------


def event_body(event_id: str, n: int) -> bytes:
    record = {"id": n, "address": f"{n} Shutdown Ln", "status": "active"}
    body = {"id": event_id, "event_type": "property.created", "property": record}
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class Sender:
    """Posts ``count`` signed deliveries to ``url`` from ``threads`` threads, each until it
    gets a 2xx (as a webhook sender does: 503, 409 and refused connections are retried)."""

    url: str
    count: int
    threads: int = 8
    deadline: float = 50.0
    accepted: set[str] = field(default_factory=set)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.ids = [f"evt_{uuid.uuid4().hex[:16]}" for _ in range(self.count)]
        self._next = iter(enumerate(self.ids))

    def start(self) -> Sender:
        self._until = time.monotonic() + self.deadline
        self._workers = [
            threading.Thread(target=self._work, name=f"sender-{n}", daemon=True)
            for n in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def _take(self) -> tuple[int, str] | None:
        with self._lock:
            return next(self._next, None)

    def _work(self) -> None:
        import httpx2

        from open_to_close.webhooks import sign_headers

        with httpx2.Client(timeout=10.0) as http:
            while (item := self._take()) is not None:
                n, event_id = item
                body = event_body(event_id, n)
                while not self._stop.is_set() and time.monotonic() < self._until:
                    try:
                        status = http.post(
                            self.url, content=body, headers=sign_headers(SECRET, body, event_id)
                        ).status_code
                    except httpx2.TransportError:
                        status = 0
                    if 200 <= status < 300:
                        with self._lock:
                            self.accepted.add(event_id)
                        break
                    with self._lock:
                        self.refused += 1
                    time.sleep(0.05)

    def join(self, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, end - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self.join(15)

    def taken(self) -> int:
        with self._lock:
            return len(self.accepted)
