"""``otc serve`` on embedded defaults, stopped in the middle of a load of webhooks.

- SIGTERM: the service stops taking deliveries (503, the sender retries), finishes the
  tasks it runs, hands back the rest and exits 0; started again, it drains the queue.
  Every event the sender saw accepted is handled, and none twice.
- SIGKILL: nothing is lost either; only a task that was running may run again.
- A broken config file: ``otc serve`` does not start, exits 2 and names the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from open_to_close.queue import connect

from ._helpers import (
    Sender,
    ServiceProcess,
    free_port,
    handled,
    run_otc,
    service_env,
    start_service,
    wait_until,
    write_config,
)

EVENTS = 400
CONCURRENCY = 2
CONFIG = """
[api]
base_url = "http://127.0.0.1:9/v1"

[server]
port = {port}
shutdown_grace = "20s"

[queue]
concurrency = {concurrency}
visibility_timeout = "{visibility}"

[webhooks.handlers]
"property.created" = ["tests.service._helpers:record"]
"""


def _setup(tmp_path: Path, visibility: str) -> tuple[Path, int, str, dict[str, str]]:
    port = free_port()
    text = CONFIG.format(port=port, concurrency=CONCURRENCY, visibility=visibility)
    config = write_config(tmp_path / "otc.toml", text)
    results = f"sqlite:///{tmp_path / 'handled.db'}"
    # 20 ms a task: the receiver takes events far faster than two threads handle them,
    # so a backlog is waiting in the queue when the signal comes.
    env = service_env(results, OTC_TEST_HANDLER_DELAY="0.02")
    assert handled(results) == {}
    return config, port, results, env


def _stats(tmp_path: Path) -> dict[str, int]:
    queue = connect(f"sqlite:///{tmp_path / '.otc' / 'queue.db'}")  # the default queue
    try:
        return queue.stats()
    finally:
        queue.close()


def _drained(tmp_path: Path, results: str) -> bool:
    stats = _stats(tmp_path)
    return stats["pending"] == 0 and stats["running"] == 0 and len(handled(results)) >= EVENTS


def _backlog(tmp_path: Path) -> int:
    return _stats(tmp_path)["pending"] if (tmp_path / ".otc" / "queue.db").exists() else 0


@dataclass
class Interrupted:
    """What happened around one stop of the service in the middle of a load."""

    sender: Sender
    results: str
    after_stop: dict[str, int]  # the queue once the first process was gone
    taken_before: int  # deliveries accepted by the first process
    handled_before: set[str]  # events its handler had recorded


def _interrupted_load(
    tmp_path: Path, visibility: str, stop: Callable[[ServiceProcess], None]
) -> Interrupted:
    """Serve, send EVENTS, ``stop`` the service once a backlog waits, serve again until
    every delivery is accepted and the queue is drained, then SIGTERM it."""
    config, port, results, env = _setup(tmp_path, visibility)
    sender = Sender(f"http://127.0.0.1:{port}/webhook/otc", EVENTS)
    services: list[ServiceProcess] = []
    try:
        first = start_service(config, [], env, tmp_path)
        services.append(first)
        first.wait_started()
        sender.start()
        wait_until(lambda: _backlog(tmp_path) >= 100, 30, "a backlog in the queue")
        stop(first)  # deliveries keep coming while it stops and while it is down
        outcome = Interrupted(
            sender, results, _stats(tmp_path), sender.taken(), set(handled(results))
        )
        second = start_service(config, [], env, tmp_path)
        services.append(second)
        second.wait_started()
        sender.join(50)
        assert sender.taken() == EVENTS
        wait_until(lambda: _drained(tmp_path, results), 40, "the queue to drain")
        assert second.terminate() == 0
    finally:
        sender.stop()
        for service in services:
            service.kill()
    return outcome


def _sigterm(service: ServiceProcess) -> None:
    assert service.terminate() == 0


def test_sigterm_during_load_loses_nothing_and_handles_nothing_twice(tmp_path: Path) -> None:
    run = _interrupted_load(tmp_path, "30s", _sigterm)
    # The stop handed back what it had not started: nothing stays leased to a dead
    # worker, and what was waiting is still there for the next start.
    assert run.after_stop["running"] == 0
    assert run.after_stop["pending"] > 0
    assert 0 < run.taken_before < EVENTS
    assert run.sender.refused > 0  # deliveries were turned away while it was down
    rows = handled(run.results)
    assert set(rows) == run.sender.accepted == set(run.sender.ids)  # none lost
    assert {n for _, n, _ in rows.values()} == {1}  # none twice
    assert len({pid for *_, pid in rows.values()}) == 2  # both processes handled some
    assert _stats(tmp_path) == {"pending": 0, "running": 0, "done": EVENTS, "dead": 0}


def test_sigkill_during_load_loses_nothing(tmp_path: Path) -> None:
    # A short visibility timeout: the killed worker's leased tasks come back in a second.
    run = _interrupted_load(tmp_path, "1s", ServiceProcess.kill)
    rows = handled(run.results)
    assert set(rows) == run.sender.accepted == set(run.sender.ids)  # none lost
    twice = {event_id for event_id, (_, n, _) in rows.items() if n > 1}
    # At-least-once: only the tasks running at the kill (one per worker thread) ran again,
    # and each of those had been recorded by the killed process.
    assert len(twice) <= CONCURRENCY
    assert twice <= run.handled_before
    assert {n for _, n, _ in rows.values()} <= {1, 2}
    stats = _stats(tmp_path)
    assert (stats["pending"], stats["running"], stats["dead"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[queue]\nurl = "mysql://localhost/q"\n', ["queue.url", "queue URL must start with"]),
        ('[server]\nshutdown_grace = "soon"\n', ["server.shutdown_grace", "duration"]),
        ("[metrics]\nenabeld = true\n", ["metrics.enabeld", "unknown key"]),
        ('[[sync.jobs]]\nname = "listings"\n', ["sync.jobs[0].source", "required"]),
        ("[webhooks\npath = 1\n", ["not valid TOML"]),
        (
            '[webhooks.handlers]\n"property.created" = ["no_such_module_x:handle"]\n',
            ["handler 'no_such_module_x:handle'", "cannot import"],
        ),
    ],
    ids=["bad-url", "bad-duration", "misspelt-key", "missing-key", "not-toml", "bad-handler"],
)
def test_a_broken_config_does_not_start(tmp_path: Path, text: str, expected: list[str]) -> None:
    config = write_config(tmp_path / "otc.toml", text)
    done = run_otc(["serve", "--config", str(config), "--port", "0"], tmp_path)
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())  # the console may wrap long lines
    for part in expected:
        assert part in message
    assert "otc serve:" not in message  # never got as far as serving
    assert not (tmp_path / ".otc").exists()


def test_a_missing_secret_names_the_variable(tmp_path: Path) -> None:
    config = write_config(tmp_path / "otc.toml", '[webhooks]\nsecret_env = "MY_HOOK_SECRET"\n')
    env = service_env("sqlite://")
    env.pop("MY_HOOK_SECRET", None)
    done = run_otc(["serve", "--config", str(config), "--port", "0"], tmp_path, env)
    assert done.returncode == 2
    assert "webhooks.secret_env" in done.stderr
    assert "MY_HOOK_SECRET" in done.stderr
