"""``otc cache warm|clear|cleanup``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from open_to_close import OpenToCloseAPI
from open_to_close.cache import SQLCache
from open_to_close.cli import app
from open_to_close.sandbox import SandboxServer

from .conftest import REDIS_URL

runner = CliRunner()


def test_warm_then_cleanup_then_clear(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    for n in range(3):
        client.properties.create_property({"address": f"{n} Cli St", "status": "active"})
    client.teams.create_team({"name": "Cli Team"})  # beside the account's own team
    cache = f"sqlite:///{tmp_path / 'cli.db'}"
    api = ["--api-key", sb.api_key, "--base-url", sb.base_url]
    result = runner.invoke(app, ["cache", "warm", "--cache", cache, "--limit", "2", *api])
    assert result.exit_code == 0, result.output
    assert "cached 2 properties and 2 teams" in result.output

    result = runner.invoke(app, ["cache", "cleanup", "--cache", cache])
    assert result.exit_code == 0, result.output
    assert "expired_properties: 0, expired_lists: 0" in result.output

    result = runner.invoke(app, ["cache", "clear", "--cache", cache])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output and "removed 0 " not in result.output


def test_cache_url_from_the_environment(tmp_path: Path) -> None:
    env = {"OTC_CACHE_URL": f"sqlite:///{tmp_path / 'env.db'}"}
    result = runner.invoke(app, ["cache", "clear"], env=env)
    assert result.exit_code == 2 and "env.db" in result.output  # not there: refused
    SQLCache(env["OTC_CACHE_URL"]).close()
    result = runner.invoke(app, ["cache", "clear"], env=env)
    assert result.exit_code == 0, result.output
    assert "env.db" in result.output


def test_redis_cleanup_says_there_is_nothing_to_do(redis_prefix: str) -> None:
    result = runner.invoke(
        app, ["cache", "cleanup", "--cache", REDIS_URL, "--prefix", redis_prefix]
    )
    assert result.exit_code == 0, result.output
    assert "Redis expires entries itself" in result.output


def test_bad_input_gets_a_clear_error(sb: SandboxServer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["cache", "clear", "--cache", "ftp://nowhere"])
    assert result.exit_code == 2 and "cache URL" in result.output
    result = runner.invoke(app, ["cache", "clear", "--cache", "memory"])
    assert result.exit_code == 2 and "inside one process" in result.output
    cache = f"sqlite:///{tmp_path / 'x.db'}"
    wrong = ["--api-key", "wrong-key-123456", "--base-url", sb.base_url]
    result = runner.invoke(app, ["cache", "warm", "--cache", cache, *wrong])
    assert result.exit_code == 1
    assert "error:" in result.output and "wrong-key-123456" not in result.output
    result = runner.invoke(app, ["cache", "clear", "--cache", "redis://127.0.0.1:1/0"])
    assert result.exit_code == 1 and "Redis at" in result.output
