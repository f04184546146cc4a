"""``[events] source = "poll"``: the service reads the API for changes (the live API sends
no webhooks) and runs the same handlers, once, through its queue."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from open_to_close import ConfigurationError, OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from open_to_close.service.components import Components
from open_to_close.service.config import parse_service_config
from open_to_close.service.runner import Service

from . import hooks_for_tests


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _config(sb: SandboxServer, tmp_path: Path, **events: object) -> dict[str, object]:
    return {
        "api": {"base_url": sb.base_url, "rate_limit": "50/s"},
        "webhooks": {
            "handlers": {
                "property.status_changed": ["tests.service.hooks_for_tests:record_status_change"]
            },
        },
        "queue": {"url": f"sqlite:///{tmp_path}/queue.db"},
        "state": {"url": f"sqlite:///{tmp_path}/state.db"},
        "events": {"source": "poll", "every": "0.2s", **events},
        "server": {"port": 0, "shutdown_grace": 5},
    }


def test_a_change_in_open_to_close_reaches_the_handler_without_webhooks(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    monkeypatch.delenv("OTC_WEBHOOK_SECRET", raising=False)  # no webhook secret is needed
    hooks_for_tests.seen.clear()
    pid = client.properties.create_property({"address": "1 Poll St", "status": "active"})["id"]
    config = parse_service_config(_config(sb, tmp_path))
    with Service(Components(config)) as running:
        feed = running.components.change_feed
        wait_for(lambda: feed.requests > 0)  # the first poll took its silent snapshot
        client.properties.update_property(pid, {"status": "sold"})
        wait_for(lambda: len(hooks_for_tests.seen) == 1)
        time.sleep(0.6)  # more polls: nothing new
        assert len(hooks_for_tests.seen) == 1
        # The webhook route is closed: no secret was configured, so nothing is accepted.
        answer = httpx2.post(
            running.url + "/webhook/otc", content=b"{}", headers={"X-OTC-Signature": "sha256=00"}
        )
        assert answer.status_code == 400
        assert running.components.queue.stats()["done"] == 2  # updated + status_changed
    # A restart on the same state: nothing is handled again.
    with Service(Components(parse_service_config(_config(sb, tmp_path)))) as again:
        time.sleep(0.6)
        assert again.components.change_feed.requests > 0
    assert len(hooks_for_tests.seen) == 1


def test_events_settings_are_checked(sb: SandboxServer, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"events.resources: .*properties"):
        parse_service_config(_config(sb, tmp_path, resources=["tasks"]))
    with pytest.raises(ConfigurationError, match=r"events.budget"):
        parse_service_config(_config(sb, tmp_path, budget=2))
    with pytest.raises(ConfigurationError, match=r"events.every"):
        parse_service_config(_config(sb, tmp_path, every="soon"))
    bad_rate = _config(sb, tmp_path)
    bad_rate["api"] = {"rate_limit": "fast"}
    with pytest.raises(ConfigurationError, match=r"api.rate_limit: rate_limit must be like"):
        parse_service_config(bad_rate)
