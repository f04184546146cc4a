"""``otc.toml`` validation: defaults when empty, and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_to_close import ConfigurationError
from open_to_close.service.config import load_service_config, parse_duration


def test_no_file_means_embedded_defaults() -> None:
    config = load_service_config(None)
    assert config.queue.url.startswith("sqlite:///")
    assert config.state.url.startswith("sqlite:///")
    assert config.cache.url == "memory"
    assert config.sync.jobs == []


def test_a_full_file(tmp_path: Path) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(
        """
[api]
environment = "staging"

[webhooks]
secret_env = ["OTC_WEBHOOK_SECRET", "OTC_WEBHOOK_SECRET_OLD"]
tolerance = "10m"
[webhooks.handlers]
"property.created" = ["myapp.hooks:on_created"]
[webhooks.builtin]
invalidate_cache = true

[queue]
url = "amqp://guest:guest@127.0.0.1:5672//"
concurrency = 4

[cache]
url = "redis://127.0.0.1:6379/3"
default_ttl = "2m"

[state]
url = "postgresql+psycopg://postgres@127.0.0.1/test"

[[sync.jobs]]
name = "listings"
source = "listings.csv"
mapping = "mapping.toml"
every = "5m"

[[sync.jobs]]
name = "crm"
direction = "two-way"
source = "postgresql+psycopg://postgres@127.0.0.1/test"
table = "crm_properties"
strategy = "merge"
every = 90
"""
    )
    config = load_service_config(path)
    assert config.api.environment == "staging"
    assert config.webhooks.tolerance == 600.0
    assert config.cache.default_ttl == 120.0
    assert [job.every for job in config.sync.jobs] == [300.0, 90.0]
    assert config.sync.jobs[1].direction == "two-way"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[queue]\nurl = "mysql://x"\n', "queue.url: unknown queue URL scheme 'mysql://'"),
        ("[metrics]\nenabeld = true\n", "metrics.enabeld: unknown key"),
        ("[server]\nport = 70000\n", "server.port"),
        ('[[sync.jobs]]\nname = "a"\nsource = "a.csv"\nevery = "soon"\n', "sync.jobs[0].every"),
        ('[[sync.jobs]]\nname = "a"\n', "sync.jobs[0].source: required"),
        ('[[sync.jobs]]\nname = "d"\nsource = "postgresql://h/db"\n', "also give 'table'"),
        (
            '[[sync.jobs]]\nname = "a"\nsource = "a.csv"\n[[sync.jobs]]\nname = "a"\n'
            'source = "b.csv"\n',
            "repeated: a",
        ),
        ('[webhooks.handlers]\n"property.created" = ["no way"]\n', "dotted path"),
        ('[webhooks]\npath = "hook"\n', "webhooks.path: must start with '/'"),
        ("[queue\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as info:
        load_service_config(path)
    assert message in str(info.value)


def test_the_example_in_the_repo_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "otc.example.toml"
    config = load_service_config(example)
    assert config.sync.jobs[0].name == "listings"
    assert config.webhooks.builtin.invalidate_cache


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Cannot read"):
        load_service_config(tmp_path / "nope.toml")


def test_webhook_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_service_config(None)
    monkeypatch.delenv("OTC_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="OTC_WEBHOOK_SECRET"):
        config.webhooks.secrets()
    monkeypatch.setenv("OTC_WEBHOOK_SECRET", "whsec-abc-123")
    secrets = config.webhooks.secrets()
    assert [s.get() for s in secrets] == ["whsec-abc-123"]
    assert "whsec-abc-123" not in repr(secrets)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(30, 30.0), ("30s", 30.0), ("5m", 300.0), ("1.5h", 5400.0), ("250ms", 0.25), ("1d", 86400.0)],
)
def test_durations(value: str | int, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["0s", "-1m", "5 minutes", True])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)  # type: ignore[arg-type]


NON_FINITE_KEYS = [
    ("api", "timeout"),
    ("api", "rate_limit"),
    ("webhooks", "tolerance"),
    ("queue", "visibility_timeout"),
    ("cache", "default_ttl"),
    ("events", "every"),
    ("events", "budget"),
    ("server", "shutdown_grace"),
]


@pytest.mark.defect(9)
@pytest.mark.parametrize("number", ["nan", "inf", "-inf", "+nan"])
@pytest.mark.parametrize(("section", "key"), NON_FINITE_KEYS)
def test_non_finite_numbers_are_refused(
    tmp_path: Path, section: str, key: str, number: str
) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(f"[{section}]\n{key} = {number}\n")
    with pytest.raises(ConfigurationError, match=rf"{section}\.{key}: .*finite"):
        load_service_config(path)


@pytest.mark.defect(9)
@pytest.mark.parametrize("number", ["nan", "inf", '"1' + "0" * 400 + 's"'])
def test_a_job_never_runs_continuously(tmp_path: Path, number: str) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(f'[[sync.jobs]]\nname = "a"\nsource = "a.csv"\nevery = {number}\n')
    with pytest.raises(ConfigurationError, match=r"sync\.jobs\[0\]\.every: .*finite"):
        load_service_config(path)


@pytest.mark.defect(9)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "9" * 400])
def test_durations_are_finite(value: object) -> None:
    with pytest.raises(ValueError, match="finite"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.defect(9)
@pytest.mark.parametrize(
    ("section", "key"), [k for k in NON_FINITE_KEYS if k[0] != "api" and k[1] != "budget"]
)
def test_a_finite_duration_past_a_year_is_refused(tmp_path: Path, section: str, key: str) -> None:
    """1e300 is finite, yet no timer waits that long: a worker's heartbeat (``Event.wait``)
    raised ``OverflowError`` and Redis refused the lease's expiry."""
    path = tmp_path / "otc.toml"
    path.write_text(f"[{section}]\n{key} = 1e300\n")
    with pytest.raises(ConfigurationError, match=rf"{section}\.{key}: .*at most 365d"):
        load_service_config(path)
    path.write_text(f'[{section}]\n{key} = "365d"\n')
    load_service_config(path)
