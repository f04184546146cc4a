"""Runs the configured sync jobs on their schedules.

Each job runs under its lock in the sync state (a row with an owner and an expiry, on
SQLite or PostgreSQL alike), so with several schedulers — or a manual ``otc sync`` — the
same job never runs twice at once: the one that finds it locked skips that turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from .._redact import get_logger
from ..sync import (
    PropertyPull,
    PropertySyncService,
    SyncLockedError,
    SyncState,
    TwoWayPropertySync,
    load_mapping,
)
from ..sync.endpoints import open_sink, open_source
from ..sync.report import failure_summary
from .config import SyncJob

log = get_logger(__name__)


class JobRunner:
    """One sync job as configured: ``run()`` does one pass and returns its report."""

    def __init__(self, job: SyncJob, client: Any, state: SyncState) -> None:
        self.job = job
        self.client = client
        self.state = state
        self.mapping = load_mapping(job.mapping) if job.mapping else None

    def run(self) -> dict[str, Any]:
        job = self.job
        if job.direction == "push":
            source = open_source(job.source, job.table, self.mapping)
            service = PropertySyncService(
                self.client,
                source,
                mapping=self.mapping,
                state=self.state,
                job=job.name,
                details="errors",
            )
            return service.sync_properties()
        if job.direction == "pull":
            sink = open_sink(job.source, job.table)
            try:
                puller = PropertyPull(
                    self.client, sink, mapping=self.mapping, state=self.state, job=job.name
                )
                return puller.pull()
            finally:
                sink.close()
        side = open_source(job.source, job.table, self.mapping, must_exist=False)
        two_way = TwoWayPropertySync(
            self.client, side, job.strategy, mapping=self.mapping, state=self.state, job=job.name
        )
        return two_way.sync_bidirectional()


class Scheduler:
    """Runs each job every ``job.every`` seconds until :meth:`stop`."""

    def __init__(
        self,
        jobs: list[SyncJob],
        client: Any,
        state_url: str,
        registry: CollectorRegistry,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = SyncState(state_url)
        self.runners = [JobRunner(job, client, self.state) for job in jobs]
        self._clock = clock
        self._due = {runner.job.name: clock() for runner in self.runners}
        self._stop = threading.Event()
        self.runs = Counter(
            "otc_sync_runs_total",
            "Sync job runs started by the scheduler, by outcome",
            ["job", "outcome"],
            registry=registry,
        )
        self.last_success = Gauge(
            "otc_sync_last_success_timestamp_seconds",
            "When each sync job last finished without error",
            ["job"],
            registry=registry,
        )
        self.reports: dict[str, dict[str, Any]] = {}

    def run_due(self) -> int:
        """Run every job whose time has come; how many ran."""
        ran = 0
        for runner in self.runners:
            name = runner.job.name
            if self._stop.is_set() or self._clock() < self._due[name]:
                continue
            self._due[name] = self._clock() + runner.job.every
            self._run_one(runner)
            ran += 1
        return ran

    def _run_one(self, runner: JobRunner) -> None:
        name = runner.job.name
        try:
            report = runner.run()
        except SyncLockedError:
            self.runs.labels(name, "locked").inc()
            log.info("sync job %s is running elsewhere; skipped this turn", name)
            return
        except Exception as exc:
            self.runs.labels(name, "failed").inc()
            log.error("sync job %s failed: %s", name, exc)
            return
        self.reports[name] = report
        errors = int(report.get("errors", 0) or 0)
        self.runs.labels(name, "partial" if errors else "ok").inc()
        if errors:
            log.warning("%s", failure_summary(name, report))
        else:
            self.last_success.labels(name).set_to_current_time()

    def run_forever(self) -> None:
        """Loop until :meth:`stop`; a job that is running when it is called finishes."""
        while not self._stop.is_set():
            self.run_due()
            if not self.runners:
                self._stop.wait()
                break
            wait = min(self._due.values()) - self._clock()
            self._stop.wait(max(0.05, min(wait, 1.0)))

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.state.close()
