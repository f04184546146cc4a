"""The embedded SQLite queue: tasks, retries, dead letters, leases, killed workers."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.queue import DeadLetterNotFoundError, connect
from open_to_close.queue.sqlite import SQLiteQueue

from .conftest import kill_mid_task, lines, run_until_idle


@pytest.fixture
def q(tmp_path: Path) -> Iterator[SQLiteQueue]:
    queue = connect(f"sqlite:///{tmp_path / 'q.db'}", visibility_timeout=5)
    assert isinstance(queue, SQLiteQueue)
    yield queue
    queue.close()


def test_register_enqueue_run(q: SQLiteQueue) -> None:
    seen: list[Any] = []

    @q.task
    def plain(payload: Any) -> None:
        seen.append(("plain", payload))

    @q.task(name="named")
    def named(payload: Any) -> None:
        seen.append(("named", payload))

    assert f"{__name__}.test_register_enqueue_run.<locals>.plain" in q.tasks
    q.enqueue(q.tasks[next(iter(q.tasks))].name, {"a": 1})
    task_id = q.enqueue("named", [1, "two"])
    assert isinstance(task_id, str)
    assert q.stats() == {"pending": 2, "running": 0, "done": 0, "dead": 0}
    q.worker().run(stop_when_idle=True)
    assert seen == [("plain", {"a": 1}), ("named", [1, "two"])]
    assert q.stats() == {"pending": 0, "running": 0, "done": 2, "dead": 0}


def test_registering_a_name_again_replaces_it(q: SQLiteQueue) -> None:
    seen: list[str] = []
    q.task(name="t")(lambda p: seen.append("old"))
    q.task(name="t")(lambda p: seen.append("new"))
    q.enqueue("t")
    q.worker().run(stop_when_idle=True)
    assert seen == ["new"]


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"retry_backoff": "1"}, "retry_backoff"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_task_options(q: SQLiteQueue, kwargs: dict[str, Any], hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        q.task(**kwargs)


def test_payloads_are_json_only(q: SQLiteQueue) -> None:
    with pytest.raises(TypeError, match="JSON"):
        q.enqueue("t", {"when": object()})
    with pytest.raises(TypeError, match="JSON"):
        q.enqueue("t", float("nan"))


def test_retries_with_growing_delays_then_dead_letter(q: SQLiteQueue) -> None:
    attempts: list[float] = []

    @q.task(name="always-fails", max_retries=3, retry_backoff=0.05)
    def always_fails(payload: Any) -> None:
        attempts.append(time.monotonic())
        raise ConnectionError(f"CRM down for {payload['id']}")

    q.enqueue("always-fails", {"id": 9})
    q.worker().run(stop_when_idle=True)
    assert len(attempts) == 4  # 1 + max_retries
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    for n, gap in enumerate(gaps):
        assert gap >= 0.05 * 2**n  # at least retry_backoff * 2**n
    (letter,) = q.dead_letters()
    assert letter["name"] == "always-fails" and letter["payload"] == {"id": 9}
    assert letter["attempts"] == 4 and letter["error"] == "ConnectionError: CRM down for 9"
    assert q.stats()["dead"] == 1

    q.task(name="always-fails", max_retries=0)(lambda payload: attempts.append(-1.0))
    q.retry_dead_letter(letter["id"])
    assert q.stats() == {"pending": 1, "running": 0, "done": 0, "dead": 0}
    q.worker().run(stop_when_idle=True)
    assert attempts[-1] == -1.0 and q.stats()["done"] == 1


def test_discard_and_unknown_ids(q: SQLiteQueue) -> None:
    q.task(name="x", max_retries=0)(lambda p: 1 / 0)
    q.enqueue("x")
    q.worker().run(stop_when_idle=True)
    (letter,) = q.dead_letters()
    q.discard_dead_letter(letter["id"])
    assert q.dead_letters() == [] and q.stats()["dead"] == 0
    for bad in (letter["id"], "nope"):
        with pytest.raises(DeadLetterNotFoundError, match="no dead letter"):
            q.retry_dead_letter(bad)
        with pytest.raises(KeyError):
            q.discard_dead_letter(bad)


def test_a_task_no_worker_knows_is_dead_lettered_with_the_reason(q: SQLiteQueue) -> None:
    q.enqueue("never.registered", {"x": 1})
    q.worker().run(stop_when_idle=True)
    (letter,) = q.dead_letters()
    assert "no task named 'never.registered'" in letter["error"]


def test_enqueue_once_stores_and_dedupes_together(q: SQLiteQueue) -> None:
    first, new = q.enqueue_once("t", {"n": 1}, key="evt_1")
    again, new_again = q.enqueue_once("t", {"n": 2}, key="evt_1")
    assert new and not new_again and first == again
    q.task(name="t")(lambda p: None)
    q.worker().run(stop_when_idle=True)
    assert q.enqueue_once("t", {"n": 3}, key="evt_1")[1] is False  # still known when done


def test_concurrency_runs_each_task_once(q: SQLiteQueue) -> None:
    runs: list[int] = []
    lock = threading.Lock()

    @q.task(name="n")
    def n(payload: int) -> None:
        time.sleep(0.001)
        with lock:
            runs.append(payload)

    for i in range(300):
        q.enqueue("n", i)
    q.worker(concurrency=4).run(stop_when_idle=True)
    assert sorted(runs) == list(range(300))


def test_a_live_worker_keeps_its_long_task(tmp_path: Path) -> None:
    """Longer than the visibility timeout, but the heartbeat extends the lease."""
    q = connect(f"sqlite:///{tmp_path / 'long.db'}", visibility_timeout=0.3)
    runs: list[int] = []
    q.task(name="long")(lambda p: (runs.append(1), time.sleep(1.0)))
    q.enqueue("long")
    workers = [q.worker(), q.worker()]
    threads = [threading.Thread(target=w.run, args=(True,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert runs == [1]
    q.close()


def test_a_task_whose_workers_keep_dying_is_dead_lettered(tmp_path: Path) -> None:
    q = SQLiteQueue(str(tmp_path / "lost.db"), visibility_timeout=0.05, max_lost=2)
    q.enqueue("crashes", {"n": 1})
    for _ in range(3):  # three workers take it and die without a word
        assert len(q.claim(1)) == 1
        time.sleep(0.06)
    assert q.claim(1) == []  # the fourth claim buries it instead
    (letter,) = q.dead_letters()
    assert "worker died 3 times" in letter["error"]
    q.close()


def test_bad_urls_say_what_to_fix(tmp_path: Path) -> None:
    for url, hint in (
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        (f"sqlite:///{tmp_path}/missing/q.db", "missing"),
        ("mysql://x", "unknown queue URL scheme"),
        ("q.db", "not a queue URL"),
    ):
        with pytest.raises(ValueError, match=hint):
            connect(url)


def test_killed_worker_task_runs_again_and_is_no_failure(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    log = tmp_path / "runs.log"
    q = connect(url, visibility_timeout=0.5)
    q.enqueue("slow", {"n": 1})
    kill_mid_task(url, log, "--visibility-timeout", "0.5")
    assert q.stats()["running"] == 1 and lines(log) == []
    run_until_idle(url, log, "--visibility-timeout", "0.5")
    # Run again once the lease lapsed, not after the task's 60 s retry backoff: no failure.
    assert lines(log) == ["slow 1"]
    assert q.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    q.close()
