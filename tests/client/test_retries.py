"""Retries under injected faults, lost answers and refused connections: nothing duplicated."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter

import pytest

from open_to_close import (
    AsyncOpenToCloseAPI,
    Call,
    Hook,
    NetworkError,
    OpenToCloseAPI,
    OpenToCloseAPIError,
    ServerError,
)
from open_to_close.sandbox import SandboxServer


class Recorder(Hook):
    def __init__(self) -> None:
        self.retries: list[tuple[str, int | None, float]] = []
        self.keys: dict[str, set[str | None]] = {}

    def on_retry(self, call: Call, error: OpenToCloseAPIError, delay: float) -> None:
        self.retries.append((call.template, error.status_code, delay))
        self.keys.setdefault(call.path, set()).add(call.idempotency_key)


def _external_ids(client: OpenToCloseAPI) -> Counter[str]:
    return Counter(str(p.get("external_id")) for p in client.properties.iter_properties())


@pytest.mark.parametrize("after_commit", [False, True], ids=["before-commit", "lost-response"])
def test_creates_survive_faults_without_duplicates(sb: SandboxServer, after_commit: bool) -> None:
    recorder = Recorder()
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001, max_retries=8) as client:
        client.add_hook(recorder)
        sb.set_faults(rate=0.4, statuses=(500, 502, 503, 504), after_commit=after_commit)
        for n in range(40):
            client.properties.create_property({"address": f"{n} Retry Rd", "external_id": f"r{n}"})
        sb.set_faults()
        counts = _external_ids(client)
    assert sb.stats()["faults"] > 0
    assert recorder.retries, "faults were injected, so some calls must have been retried"
    assert counts == Counter({f"r{n}": 1 for n in range(40)})


async def test_async_creates_survive_lost_responses(sb: SandboxServer) -> None:
    async with AsyncOpenToCloseAPI(
        sb.api_key, sb.base_url, retry_backoff=0.001, max_retries=8, http_backend="aiohttp"
    ) as client:
        sb.set_faults(rate=0.4, after_commit=True)
        await asyncio.gather(
            *(
                client.properties.create_property({"address": "x", "external_id": f"a{n}"})
                for n in range(30)
            )
        )
        sb.set_faults()
        ids = [p["external_id"] async for p in client.properties.iter_properties()]
    assert sorted(ids) == sorted(f"a{n}" for n in range(30))


def test_retries_reuse_one_idempotency_key(sb: SandboxServer) -> None:
    recorder = Recorder()
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001, max_retries=10) as client:
        client.add_hook(recorder)
        sb.set_faults(rate=0.7, after_commit=True)
        client.property_notes  # noqa: B018 - the attribute exists
        prop = client.properties.create_property({"address": "1 Key St"})
        sb.set_faults()
    assert all(len(keys) == 1 and None not in keys for keys in recorder.keys.values())
    assert client.properties is not None and prop["id"]


def test_gives_up_after_max_retries(sb: SandboxServer) -> None:
    sb.set_faults(rate=1.0, statuses=(503,))
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            client.properties.list_properties()
    assert info.value.status_code == 503
    assert sb.stats()["requests"]["GET /properties"] == 3  # 1 try + 2 retries


def test_backoff_grows_and_stays_under_the_cap(sb: SandboxServer) -> None:
    recorder = Recorder()
    sb.set_faults(rate=1.0, statuses=(500,))
    with OpenToCloseAPI(
        sb.api_key, sb.base_url, retry_backoff=0.01, max_retries=4, max_retry_delay=0.05
    ) as client:
        client.add_hook(recorder)
        with pytest.raises(ServerError):
            client.properties.list_properties()
    delays = [delay for _, _, delay in recorder.retries]
    assert len(delays) == 4
    for n, delay in enumerate(delays):
        assert min(0.05, 0.01 * 2**n) / 2 <= delay <= min(0.05, 0.01 * 2**n)


def test_no_retries_when_turned_off(sb: SandboxServer) -> None:
    sb.set_faults(rate=1.0, statuses=(502,))
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retries=0) as client:
        with pytest.raises(ServerError):
            client.properties.retrieve_property(1)
    assert sb.stats()["total"] == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_a_network_error_after_retries() -> None:
    recorder = Recorder()
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with OpenToCloseAPI("net-key-1234", url, retry_backoff=0.001, max_retries=2) as client:
        client.add_hook(recorder)
        with pytest.raises(NetworkError) as info:
            client.properties.list_properties()
    assert len(recorder.retries) == 2
    assert info.value.status_code is None and info.value.endpoint == "/properties"


@pytest.mark.parametrize("backend", ["httpx2", "aiohttp"])
async def test_async_network_error(backend: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    async with AsyncOpenToCloseAPI(
        "net-key-1234",
        url,
        max_retries=1,
        retry_backoff=0.001,
        http_backend=backend,  # type: ignore[arg-type]
    ) as client:
        with pytest.raises(NetworkError):
            await client.properties.retrieve_property(1)


def test_timeout_is_a_network_error(sb: SandboxServer) -> None:
    sb.set_faults(latency_ms=300)
    with OpenToCloseAPI(sb.api_key, sb.base_url, timeout=0.05, max_retries=1) as client:
        with pytest.raises(NetworkError, match="Timeout"):
            client.properties.list_properties()
