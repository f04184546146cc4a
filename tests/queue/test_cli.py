"""``otc worker``, ``otc queue stats`` and ``otc queue dead-letters`` (list, retry, discard)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from open_to_close.cli import app
from open_to_close.queue import connect

from .conftest import lines, run_until_idle

runner = CliRunner()
ENV = {"COLUMNS": "200"}


def test_always_failing_task_retried_from_the_cli_runs_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    log = tmp_path / "runs.log"
    q = connect(url)
    q.enqueue("fails", {"n": 1})
    assert b"dead-lettered" in run_until_idle(url, log)
    (letter,) = q.dead_letters()
    assert letter["attempts"] == 2 and lines(log) == []

    listed = runner.invoke(app, ["queue", "dead-letters", "-q", url], env=ENV)
    assert listed.exit_code == 0 and "not fixed yet" in listed.output and "fails" in listed.output
    stats = runner.invoke(app, ["queue", "stats", "--queue", url], env=ENV)
    assert stats.exit_code == 0 and "dead" in stats.output

    Path(f"{log}.fixed").write_text("yes")
    retried = runner.invoke(app, ["queue", "dead-letters", "-q", url, "--retry", letter["id"]])
    assert retried.exit_code == 0 and "enqueued again" in retried.output
    run_until_idle(url, log)
    assert lines(log) == ["fails 1"]
    assert q.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    q.close()


def test_discard_and_unknown_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    q = connect(url)
    q.task(name="bad", max_retries=0)(lambda p: 1 / 0)
    q.enqueue("bad", {})
    q.enqueue("bad", {})
    q.worker().run(stop_when_idle=True)
    first, _second = (letter["id"] for letter in q.dead_letters())
    result = runner.invoke(app, ["queue", "dead-letters", "-q", url, "--discard", first])
    assert result.exit_code == 0 and "discarded" in result.output
    missing = runner.invoke(app, ["queue", "dead-letters", "-q", url, "--discard", first])
    assert missing.exit_code == 2 and "no dead letter" in missing.output  # a bad argument
    assert runner.invoke(app, ["queue", "dead-letters", "-q", url, "--retry-all"]).exit_code == 0
    assert q.dead_letters() == [] and q.stats()["pending"] == 1
    empty = runner.invoke(app, ["queue", "dead-letters", "-q", url])
    assert "no dead letters" in empty.output
    q.close()


def test_bad_urls_and_imports_say_what_to_fix(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["queue", "stats", "-q", "mysql://x"], env=ENV)
    assert bad.exit_code == 2 and "unknown queue URL scheme" in bad.output
    url = f"sqlite:///{tmp_path / 'w.db'}"
    missing = runner.invoke(app, ["worker", "-q", url, "-i", "no_such_module_xyz"], env=ENV)
    assert missing.exit_code == 2 and "can't import" in missing.output
    empty = runner.invoke(app, ["worker", "-q", url, "-i", "json"], env=ENV)
    assert empty.exit_code == 2 and "no queue tasks" in empty.output


@pytest.mark.defect(22)
def test_a_typoed_sqlite_queue_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothere.db"
    for command in (["queue", "stats"], ["queue", "dead-letters"]):
        result = runner.invoke(app, [*command, "-q", f"sqlite:///{missing}"])
        assert result.exit_code == 2, result.output
        assert "no such SQLite file" in result.output
    assert not missing.exists()
    real = tmp_path / "q.db"
    connect(f"sqlite:///{real}").close()
    assert runner.invoke(app, ["queue", "stats", "-q", f"sqlite:///{real}"]).exit_code == 0
