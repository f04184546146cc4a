"""Settings: arguments, environment variables, named environments, files and AWS secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_to_close import AuthenticationError, ConfigurationError, OpenToCloseAPI
from open_to_close.config import normalize_base_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPEN_TO_CLOSE_API_KEY", "OPEN_TO_CLOSE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for env in ("DEVELOPMENT", "STAGING", "PRODUCTION"):
        monkeypatch.delenv(f"OPEN_TO_CLOSE_API_KEY_{env}", raising=False)
        monkeypatch.delenv(f"OPEN_TO_CLOSE_BASE_URL_{env}", raising=False)


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(AuthenticationError, match="OPEN_TO_CLOSE_API_KEY"):
        OpenToCloseAPI()


def test_key_and_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", "env-key-123")
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL", "http://127.0.0.1:9/v1/")
    client = OpenToCloseAPI()
    assert client.settings.api_key.get() == "env-key-123"
    assert client.base_url == "http://127.0.0.1:9/v1"


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert OpenToCloseAPI("k-1234").base_url == "https://api.opentoclose.com/v1"


def test_guide_style_host_only_url_gets_v1() -> None:
    # The guide passes 'https://api.opentoclose.com' (no /v1): that must still work.
    assert normalize_base_url("https://api.opentoclose.com") == "https://api.opentoclose.com/v1"
    assert normalize_base_url("http://localhost:8765/") == "http://localhost:8765/v1"
    assert normalize_base_url("http://localhost:8765/api/v2") == "http://localhost:8765/api/v2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "ftp://x"}, "http"),
        ({"base_url": "http://x/v1?api_token=a"}, "query"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "30"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"retry_backoff": float("nan")}, "retry_backoff"),
        ({"max_retry_delay": True}, "max_retry_delay"),
    ],
)
def test_bad_settings_say_what_to_fix(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        OpenToCloseAPI("k-1234", **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_repr_hides_the_key() -> None:
    client = OpenToCloseAPI("super-secret-key-42", "http://127.0.0.1:9")
    assert "super-secret-key-42" not in repr(client)
    assert "super-secret-key-42" not in repr(client.settings)
    assert "super-secret-key-42" not in str(client.settings.api_key)


@pytest.mark.parametrize(
    ("name", "url", "timeout"),
    [
        ("development", "https://api-dev.opentoclose.com/v1", 30.0),
        ("staging", "https://api-staging.opentoclose.com/v1", 30.0),
        ("production", "https://api.opentoclose.com/v1", 60.0),
    ],
)
def test_named_environments(
    monkeypatch: pytest.MonkeyPatch, name: str, url: str, timeout: float
) -> None:
    monkeypatch.setenv(f"OPEN_TO_CLOSE_API_KEY_{name.upper()}", f"{name}-key")
    client = OpenToCloseAPI.from_environment(name)
    assert client.base_url == url
    assert client.settings.timeout == timeout
    assert client.settings.api_key.get() == f"{name}-key"


def test_named_environment_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY_STAGING", "staging-key")
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL_STAGING", "http://127.0.0.1:8765/v1")
    client = OpenToCloseAPI.from_environment("staging", max_retries=7)
    assert client.base_url == "http://127.0.0.1:8765/v1"
    assert client.settings.max_retries == 7


def test_unknown_environment_and_missing_key() -> None:
    with pytest.raises(ConfigurationError, match="development, staging, production"):
        OpenToCloseAPI.from_environment("qa")
    with pytest.raises(ConfigurationError, match="OPEN_TO_CLOSE_API_KEY_PRODUCTION") as info:
        OpenToCloseAPI.from_environment("production")
    assert isinstance(info.value, ValueError)  # the guide's factory catches ValueError


def test_json_config(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"api_key": "file-key", "base_url": "http://h:1", "timeout": 5}))
    client = OpenToCloseAPI.from_config(path)
    assert (client.settings.api_key.get(), client.base_url) == ("file-key", "http://h:1/v1")
    assert client.settings.timeout == 5.0


def test_toml_config_with_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", "from-env")
    path = tmp_path / "otc.toml"
    path.write_text('[open_to_close]\nbase_url = "http://h:2/v1"\nmax_retries = 5\n')
    client = OpenToCloseAPI.from_config(str(path))
    assert client.settings.api_key.get() == "from-env"
    assert client.settings.max_retries == 5


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.json", "{not json", "not valid json"),
        ("c.json", "[1, 2]", "object of settings"),
        ("c.json", '{"api_key": "k-1234", "colour": "red"}', "unknown setting.*colour"),
        ("c.json", '{"api_key": "k-1234", "timeout": "slow"}', "timeout must be int or float"),
        ("c.toml", "api_key = 'k-1234'\ntimeout = -3\n", "timeout must be at least"),
        ("c.json", "{}", "no api_key"),
        ("c.yaml", "api_key: x", ".json or .toml"),
    ],
)
def test_bad_config_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        OpenToCloseAPI.from_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Cannot read config file"):
        OpenToCloseAPI.from_config(tmp_path / "absent.json")


def test_from_secret_with_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        sm = boto3.client("secretsmanager", region_name="eu-west-1")
        sm.create_secret(
            Name="otc/creds",
            SecretString=json.dumps({"api_key": "aws-key-9", "base_url": "http://h:3"}),
        )
        sm.create_secret(Name="otc/bad", SecretString="not json")
        client = OpenToCloseAPI.from_secret("otc/creds", region_name="eu-west-1")
        assert client.settings.api_key.get() == "aws-key-9"
        assert client.base_url == "http://h:3/v1"
        with pytest.raises(ConfigurationError, match="not JSON"):
            OpenToCloseAPI.from_secret("otc/bad", region_name="eu-west-1")
        with pytest.raises(ConfigurationError, match="ResourceNotFoundException"):
            OpenToCloseAPI.from_secret("otc/absent", region_name="eu-west-1")
