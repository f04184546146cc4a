"""Retries under injected faults, lost answers and refused connections: nothing duplicated."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator

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


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[SandboxServer]:
    """A sandbox with the Idempotency-Key extension on: retried creates are safe there."""
    with SandboxServer(api_key="keyed-key-77", idempotency_keys=True) as server:
        yield server


@pytest.fixture
def keyed(keyed_server: SandboxServer) -> Iterator[SandboxServer]:
    keyed_server.reset()
    yield keyed_server
    keyed_server.set_faults()


def _addresses(client: OpenToCloseAPI) -> Counter[str]:
    return Counter(str(p.get("address")) for p in client.properties.iter_properties())


@pytest.mark.parametrize("after_commit", [False, True], ids=["before-commit", "lost-response"])
def test_creates_survive_faults_without_duplicates(
    keyed: SandboxServer, after_commit: bool
) -> None:
    recorder = Recorder()
    with OpenToCloseAPI(
        keyed.api_key, keyed.base_url, retry_backoff=0.001, max_retries=8, retry_posts="always"
    ) as client:
        client.add_hook(recorder)
        keyed.set_faults(rate=0.4, statuses=(500, 502, 503, 504), after_commit=after_commit)
        for n in range(40):
            client.properties.create_property({"address": f"{n} Retry Rd"})
        keyed.set_faults()
        counts = _addresses(client)
    assert keyed.stats()["faults"] > 0
    assert recorder.retries, "faults were injected, so some calls must have been retried"
    assert counts == Counter({f"{n} Retry Rd": 1 for n in range(40)})


async def test_async_creates_survive_lost_responses(keyed: SandboxServer) -> None:
    async with AsyncOpenToCloseAPI(
        keyed.api_key,
        keyed.base_url,
        retry_backoff=0.001,
        max_retries=8,
        http_backend="aiohttp",
        retry_posts="always",
    ) as client:
        await client.property_fields.keys()
        keyed.set_faults(rate=0.4, after_commit=True)
        await asyncio.gather(
            *(client.properties.create_property({"address": f"a{n}"}) for n in range(30))
        )
        keyed.set_faults()
        ids = [p["address"] async for p in client.properties.iter_properties()]
    assert sorted(ids) == sorted(f"a{n}" for n in range(30))


def test_retries_reuse_one_idempotency_key(keyed: SandboxServer) -> None:
    recorder = Recorder()
    with OpenToCloseAPI(
        keyed.api_key, keyed.base_url, retry_backoff=0.001, max_retries=10, retry_posts="always"
    ) as client:
        client.add_hook(recorder)
        keyed.set_faults(rate=0.7, after_commit=True)
        prop = client.properties.create_property({"address": "1 Key St"})
        keyed.set_faults()
    assert all(len(keys) == 1 and None not in keys for keys in recorder.keys.values())
    assert client.properties is not None and prop["id"]


def test_gives_up_after_max_retries(sb: SandboxServer) -> None:
    sb.set_faults(rate=1.0, statuses=(503,))
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            client.contacts.list_contacts()
    assert info.value.status_code == 503
    assert sb.stats()["requests"]["GET /contacts"] == 3  # 1 try + 2 retries


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
            client.contacts.list_contacts()
    assert len(recorder.retries) == 2
    assert info.value.status_code is None and info.value.endpoint == "/contacts"


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
