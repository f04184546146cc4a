"""Issue 11 #25: the ``otc`` command reads the same everywhere: help that names values, not
types; one meaning for ``-c``; one exit-code rule; one line for an empty history; titles
that fit 80 columns."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from open_to_close.cli import app
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import SyncState

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "open_to_close" / "data"


def _commands() -> Iterator[tuple[list[str], Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = [path for path, _ in _commands()]


def _env(sb: SandboxServer | None = None, key: str | None = None, **extra: str) -> dict[str, str]:
    env = {"COLUMNS": "80", "OPEN_TO_CLOSE_API_KEY": key or "", **extra}
    if sb is not None:
        env["OPEN_TO_CLOSE_BASE_URL"] = sb.base_url
        env["OPEN_TO_CLOSE_API_KEY"] = sb.api_key if key is None else key
    return env


@pytest.mark.defect(25)
@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "otc" for p in COMMANDS])
def test_help_names_values_and_fits_80_columns(path: list[str]) -> None:
    out = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
    assert "range>" not in out and "RANGE" not in out, out  # Click's type names
    assert "`" not in out, out  # reStructuredText quotes, shown as they are
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert "<bool>" not in out, out  # beside a flag it reads as if the flag took a value
    summaries = out.split("Commands:", 1)[1].splitlines() if "Commands:" in out else []
    assert not [line for line in summaries if line.endswith("...")], out  # cut summaries


@pytest.mark.defect(25)
def test_every_option_that_takes_a_value_names_it() -> None:
    missing = [
        f"otc {' '.join(path)} {param.opts[0]}"
        for path, command in _commands()
        for param in getattr(command, "params", [])
        if param.param_type_name == "option" and not param.is_flag and param.metavar is None
    ]
    assert missing == []


@pytest.mark.defect(25)
def test_dash_c_means_config_everywhere() -> None:
    meanings = {
        f"otc {' '.join(path)}": param.opts
        for path, command in _commands()
        for param in getattr(command, "params", [])
        if "-c" in param.opts
    }
    assert {"otc serve", "otc scheduler", "otc worker", "otc account"} <= set(meanings)
    assert all("--config" in opts for opts in meanings.values()), meanings


@pytest.mark.defect(25)
def test_worker_dash_c_reads_a_config_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker", "-c", str(tmp_path / "nope.toml")], env=_env())
    assert result.exit_code == 2 and "Cannot read" in result.output, result.output


def _listings(path: Path, bad_price: bool = False) -> Path:
    """The header and three rows of the bundled listings; the second's price unparseable."""
    lines = (SAMPLE / "sample_listings.csv").read_text().splitlines()[:4]
    assert lines[0].split(",")[5] == "price"
    if bad_price:
        cells = lines[2].split(",")
        lines[2] = ",".join([*cells[:5], "call us", *cells[6:]])
    path.write_text("\n".join(lines) + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.defect(25)
def test_a_missing_key_exits_2_and_a_refused_key_exits_1_in_every_command(
    sb: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = str(_listings(tmp_path / "listings.csv"))
    state = ["--state", f"sqlite:///{tmp_path / 'state.db'}"]
    cache = ["--cache", f"sqlite:///{tmp_path / 'cache.db'}"]
    commands = [
        ["account"],
        ["cache", "warm", *cache],
        ["sync", "push", source, *state],
        ["sync", "pull", str(tmp_path / "out.csv"), *state],
        ["sync", "two-way", source, *state],
        ["events", "poll", "--once", "--state", f"sqlite:///{tmp_path / 'feed.db'}"],
    ]
    for command in commands:
        missing = runner.invoke(app, command, env=_env(sb, key=""))
        assert missing.exit_code == 2, (command, missing.output)
        assert "OPEN_TO_CLOSE_API_KEY" in missing.output, (command, missing.output)
        refused = runner.invoke(app, command, env=_env(sb, key="wrong-key-4242"))
        assert refused.exit_code == 1, (command, refused.output)
        assert "error" in refused.output and "wrong-key-4242" not in refused.output
        assert "Traceback" not in refused.output


@pytest.mark.defect(25)
def test_unknown_ids_are_bad_arguments_and_unreachable_places_are_failures(
    tmp_path: Path,
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    SyncState(state_url).close()
    for command in (
        ["sync", "conflicts", "resolve", "99", "--use", "otc", "--state", state_url],
        ["sync", "history", "--run", "99", "--state", state_url],
        ["sync", "conflicts", "resolve", "1", "--use", "nobody", "--state", state_url],
    ):
        result = runner.invoke(app, command, env=_env())
        assert result.exit_code == 2, (command, result.output)
    closed = f"http://127.0.0.1:{_free_port()}/webhook/otc"
    sent = runner.invoke(app, ["webhooks", "send-test", closed, "--secret", "s"], env=_env())
    assert sent.exit_code == 1 and "can't reach" in sent.output, sent.output
    down = ["sync", "history", "--state", "postgresql://nobody@127.0.0.1:1/x"]
    result = runner.invoke(app, down, env=_env())
    assert result.exit_code == 1 and "database error" in result.output, result.output


@pytest.mark.defect(25)
def test_an_empty_history_is_one_line(tmp_path: Path, sb: SandboxServer) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    SyncState(state_url).close()
    every = runner.invoke(app, ["sync", "history", "--state", state_url], env=_env())
    assert every.exit_code == 0 and every.output == "No runs yet.\n"
    one = runner.invoke(app, ["sync", "history", "--state", state_url, "--job", "crm"], env=_env())
    assert one.exit_code == 0 and one.output == "No runs yet for job crm.\n"
    conflicts = ["sync", "conflicts", "list", "--state", state_url, "--job", "crm"]
    assert runner.invoke(app, conflicts, env=_env()).output == "No open conflicts for job crm.\n"
    feed = ["events", "poll", "--once", "--state", f"sqlite:///{tmp_path / 'feed.db'}"]
    runner.invoke(app, feed, env=_env(sb))  # the first poll sees what exists
    again = runner.invoke(app, feed, env=_env(sb))
    assert again.exit_code == 0 and again.output.startswith("No changes since the last poll")
    assert "┃" not in again.output  # no empty table


@pytest.mark.defect(25)
def test_history_job_help_speaks_of_jobs_not_files() -> None:
    history = runner.invoke(app, ["sync", "history", "--help"], env={"COLUMNS": "200"}).output
    assert "Only this job" in history and "file" not in history.split("--job")[1].split("\n")[0]
    push = runner.invoke(app, ["sync", "push", "--help"], env={"COLUMNS": "200"}).output
    assert "push:listings.csv" in push  # the default job name, spelled out


@pytest.mark.defect(25)
def test_titles_fit_80_columns(sb: SandboxServer, tmp_path: Path) -> None:
    source = str(_listings(tmp_path / "listings.csv", bad_price=True))
    state = ["--state", f"sqlite:///{tmp_path / 'state.db'}"]
    dry = runner.invoke(app, ["sync", "push", source, *state, "--dry-run"], env=_env(sb))
    assert dry.exit_code == 1, dry.output  # one record failed
    lines = [line.strip() for line in dry.output.splitlines()]
    assert "Push (dry run)" in lines and "Failed records (1)" in lines, dry.output
    assert "Dry run: nothing was written." in lines
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 4)
    deep.mkdir(parents=True)
    url = f"sqlite:///{deep / 'queue.db'}"
    from open_to_close.queue import connect

    connect(url).close()
    stats = runner.invoke(app, ["queue", "stats", "-q", url], env=_env())
    assert stats.exit_code == 0, stats.output
    table = stats.output[stats.output.index("┏") :]
    assert "a-rather-long" not in table  # the URL is a line of its own, not a wrapped title
    assert "┃ state   ┃ tasks ┃" in table


@pytest.mark.defect(25)
def test_the_demo_cuts_no_title_at_80_columns() -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    cut = [line for line in result.output.splitlines() if "…" in line and line.endswith("─")]
    assert cut == []
    assert "`" not in result.output
