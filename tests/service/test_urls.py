"""Each store's URL schemes and default are spelled once, beside its factory: ``otc.toml``
takes every scheme the factory takes and names them all when it refuses one; the CLI and
``otc serve`` keep their default files in one place, ``.otc/``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from open_to_close import ConfigurationError, queue
from open_to_close._urls import CACHE_SCHEMES, HOME, STATE_SCHEMES
from open_to_close.cache import RedisCache, backend_from_url
from open_to_close.cli import app
from open_to_close.events import FeedState
from open_to_close.queue import rabbitmq
from open_to_close.queue.celery import CeleryQueue
from open_to_close.service.config import load_service_config, parse_service_config
from open_to_close.sync import SyncState
from open_to_close.webhooks import dedupe

from ..queue.conftest import AMQP, purge, unique

runner = CliRunner()
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

CASES = [
    ("queue", "url", queue.SCHEMES, "queue"),
    ("cache", "url", CACHE_SCHEMES, "cache"),
    ("state", "url", STATE_SCHEMES, "state"),
    ("webhooks.builtin", "publish_to_rabbitmq", rabbitmq.SCHEMES, "RabbitMQ"),
    ("webhooks", "dedupe_url", dedupe.SCHEMES, "dedupe"),
]


def _config_with(section: str, key: str, value: str) -> Any:
    data: dict[str, Any] = {}
    node = data
    for part in section.split("."):
        node = node.setdefault(part, {})
    node[key] = value
    return parse_service_config(data)


@pytest.mark.defect(25)
@pytest.mark.parametrize(("section", "key", "schemes", "what"), CASES)
def test_the_config_takes_every_scheme_its_factory_takes(
    section: str, key: str, schemes: tuple[str, ...], what: str
) -> None:
    for scheme in schemes:
        _config_with(section, key, f"{scheme}://user@127.0.0.1/x")
    with pytest.raises(ConfigurationError) as info:
        _config_with(section, key, "gopher://user:hunter2-pw@127.0.0.1/x")
    message = str(info.value)
    assert f"{section}.{key}: unknown {what} URL scheme 'gopher://'" in message
    assert all(f"{scheme}://" in message for scheme in schemes), message
    assert "hunter2-pw" not in message


@pytest.mark.defect(25)
@pytest.mark.parametrize(
    ("section", "key", "url"),
    [
        ("queue", "url", "redis+socket:///tmp/redis.sock"),  # kombu's spelling: redis-py refuses
        ("cache", "url", "rediss+x://u:hunter2-pw@h/0"),
        ("webhooks", "dedupe_url", "unix+x:///tmp/redis.sock"),
    ],
)
def test_only_a_sql_url_names_a_driver(section: str, key: str, url: str) -> None:
    """``postgresql+psycopg://`` is SQLAlchemy's; a ``+`` after another scheme was read as a
    driver and taken, then failed at start with a message about a database URL."""
    with pytest.raises(ConfigurationError, match=r"unknown .* URL scheme '\w+\+\w+://'") as info:
        _config_with(section, key, url)
    assert "hunter2-pw" not in str(info.value)
    with pytest.raises(ConfigurationError, match="unknown queue URL scheme"):
        queue.connect("redis+socket:///tmp/redis.sock")
    _config_with("state", "url", "postgresql+psycopg://u@h/db")  # a driver: still taken


@pytest.mark.defect(25)
def test_a_url_without_a_scheme_is_named_and_its_password_masked() -> None:
    with pytest.raises(ConfigurationError) as info:
        _config_with("queue", "url", "guest:hunter2-pw@127.0.0.1/q.db")
    message = str(info.value)
    assert "is not a queue URL" in message and "hunter2-pw" not in message


@pytest.fixture
def redis_socket(tmp_path: Path) -> Iterator[Path]:
    """A Redis of this test's own, on a unix socket only."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (the machine runs Redis)"
    socket = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [server, "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert time.monotonic() < deadline, "redis-server did not open its socket"
            time.sleep(0.02)
        yield socket
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.defect(25)
def test_schemes_the_config_used_to_refuse_work_on_the_real_services(
    tmp_path: Path, redis_socket: Path
) -> None:
    """``pyamqp://``, ``postgres://`` and ``unix://``: the factories took them, the config
    refused them."""
    config = parse_service_config(
        {
            "queue": {"url": "pyamqp" + AMQP.removeprefix("amqp")},
            "state": {"url": POSTGRES.replace("postgresql://", "postgres://")},
            "cache": {"url": f"unix://{redis_socket}"},
        }
    )
    state_db = quote(f"sqlite:///{tmp_path / 'state.db'}", safe="")
    q = queue.connect(f"{config.queue.url}?queue={unique()}&state={state_db}")
    assert isinstance(q, CeleryQueue)
    seen: list[Any] = []
    q.task(name="record")(seen.append)
    q.enqueue("record", {"n": 1})
    q.worker().run(stop_when_idle=True)
    assert seen == [{"n": 1}]
    purge(q)
    q.close()
    state = SyncState(config.state.url, table_prefix=f"urls_{unique('t')[-10:]}_")
    run = state.start_run("urls", "push")
    assert [r.id for r in state.history("urls")] == [run]
    with state.engine.begin() as conn:
        for table in reversed(state.tables.metadata.sorted_tables):
            table.drop(conn)
    cache = backend_from_url(config.cache.url)
    assert isinstance(cache, RedisCache)
    cache.set("k", '{"v": 1}', 60)
    assert cache.get_many(["k"]) == [b'{"v": 1}']
    cache.close()


@pytest.mark.defect(25)
def test_the_cli_and_the_service_share_their_default_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OTC_SYNC_STATE", "OTC_EVENTS_STATE", "OTC_QUEUE_URL", "OTC_CACHE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = load_service_config(None)
    assert not (tmp_path / HOME).exists()  # made on first use, not before

    # What the service's scheduler records, ``otc sync history`` shows (no --state given).
    state = SyncState(config.state.url)
    state.finish_run(state.start_run("listings", "push"), "ok", {"created": 3})
    history = runner.invoke(app, ["sync", "history"], env={"COLUMNS": "100"})
    assert history.exit_code == 0 and "listings" in history.output, history.output
    # The change feed and the sync state are the service's one state database.
    assert FeedState().url == config.state.url

    # What the service's web role queues, ``otc queue stats`` counts.
    q = queue.connect(config.queue.url)
    q.enqueue("anything", {"n": 1})
    q.close()
    stats = runner.invoke(app, ["queue", "stats"], env={"COLUMNS": "100"})
    assert stats.exit_code == 0 and "pending" in stats.output
    pending = next(line.split() for line in stats.output.splitlines() if "pending" in line)
    assert pending[-2] == "1", stats.output

    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [HOME], files  # nothing else lands in the working directory
    assert sorted(p.name for p in (tmp_path / HOME).iterdir() if p.suffix == ".db") == [
        "queue.db",
        "state.db",
    ]
    assert (tmp_path / HOME / ".gitignore").read_text().strip().endswith("*")


@pytest.mark.defect(25)
def test_files_of_older_versions_are_named_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "otc-sync.db").write_bytes(b"")
    SyncState()
    SyncState()
    warnings = [r.getMessage() for r in caplog.records if "older version" in r.getMessage()]
    assert len(warnings) == 1 and "otc-sync.db" in warnings[0]
