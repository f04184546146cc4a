"""How the client meets the live API's transport: 405s, clamped pages, 429s without
headers, creates without idempotency. Against the sandbox's default mode."""

from __future__ import annotations

import asyncio
import math
import socket
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from open_to_close import (
    AmbiguousWriteError,
    AsyncOpenToCloseAPI,
    Call,
    Hook,
    NetworkError,
    OpenToCloseAPI,
    OpenToCloseAPIError,
    ServerError,
)
from open_to_close.sandbox import SandboxServer


def _count(sb: SandboxServer, label: str) -> int:
    return sum(n for key, n in sb.stats()["requests"].items() if key.startswith(label))


def test_update_switches_to_patch_once_and_remembers(
    client: OpenToCloseAPI, sb: SandboxServer
) -> None:
    pid = client.properties.create_property({"address": "1 Verb St"})["id"]
    client.properties.update_property(pid, {"city": "Austin"})
    client.properties.update_property(pid, {"city": "Dallas"})
    client.properties.update_property(pid, {"city": "Waco"})
    assert _count(sb, "PUT /properties") == 1  # answered 405 with Allow: ..., PATCH
    assert _count(sb, "PATCH /properties") == 3
    assert client.properties.retrieve_property(pid)["city"] == "Waco"


async def test_async_update_follows_allow(aclient: AsyncOpenToCloseAPI, sb: SandboxServer) -> None:
    pid = (await aclient.properties.create_property({"address": "2 Verb St"}))["id"]
    for city in ("Austin", "Dallas"):
        await aclient.properties.update_property(pid, {"city": city})
    assert _count(sb, "PUT /properties") == 1
    assert _count(sb, "PATCH /properties") == 2


def _fill(client: OpenToCloseAPI, count: int) -> list[int]:
    return [
        client.properties.create_property({"address": f"{n} Clamp Ave"})["id"] for n in range(count)
    ]


@pytest.mark.parametrize("count", [137, 50, 100, 7])
def test_clamped_pages_lose_nothing(client: OpenToCloseAPI, sb: SandboxServer, count: int) -> None:
    ids = _fill(client, count)
    for page_size in (100, 500, 50):
        before = _count(sb, "GET /properties")
        with OpenToCloseAPI(sb.api_key, sb.base_url) as fresh:
            fresh.property_fields.keys()
            seen = [p["id"] for p in fresh.properties.iter_properties(page_size=page_size)]
        assert seen == ids  # every record once, in order
        assert _count(sb, "GET /properties") - before <= math.ceil(count / 50) + 1


def test_a_known_clamp_costs_no_extra_request(client: OpenToCloseAPI, sb: SandboxServer) -> None:
    _fill(client, 120)
    assert len(list(client.properties.iter_properties())) == 120  # learns: 50 a page
    before = _count(sb, "GET /properties")
    assert len(list(client.properties.iter_properties())) == 120
    assert _count(sb, "GET /properties") - before == 3  # 50 + 50 + 20, no probe


def test_other_resources_are_clamped_at_100(client: OpenToCloseAPI, sb: SandboxServer) -> None:
    for n in range(130):
        client.contacts.create_contact({"first_name": f"C{n}"})
    assert len(list(client.contacts.iter_contacts(page_size=500))) == 130


async def test_async_paging_over_clamps(aclient: AsyncOpenToCloseAPI, sb: SandboxServer) -> None:
    await asyncio.gather(
        *(aclient.properties.create_property({"address": f"{n} A St"}) for n in range(60))
    )
    seen = [p["id"] async for p in aclient.properties.iter_properties(page_size=100)]
    assert len(seen) == len(set(seen)) == 60


def test_headerless_429s_under_threads_slow_down_without_errors(sb: SandboxServer) -> None:
    sb.set_rate_limit("10/s")
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.05) as client:
        client.property_fields.keys()

        def create(n: int) -> int:
            return int(client.properties.create_property({"address": f"{n} Busy St"})["id"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(create, range(60)))
        assert client._transport.pacer.rate is not None  # it learned to pace
    sb.set_rate_limit(None)
    assert len(set(ids)) == 60
    assert sb.stats()["rate_limited"] > 0  # the server did say 429, and nobody saw an error
    with OpenToCloseAPI(sb.api_key, sb.base_url) as check:
        assert len(list(check.properties.iter_properties())) == 60


async def test_headerless_429s_under_tasks(sb: SandboxServer) -> None:
    sb.set_rate_limit("10/s")
    async with AsyncOpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.05) as client:
        await client.property_fields.keys()
        sem = asyncio.Semaphore(16)

        async def create(n: int) -> int:
            async with sem:
                return int((await client.properties.create_property({"address": f"{n}"}))["id"])

        ids = await asyncio.gather(*(create(n) for n in range(60)))
    sb.set_rate_limit(None)
    assert len(set(ids)) == 60 and sb.stats()["rate_limited"] > 0


def test_rate_limit_setting_paces_without_429s(sb: SandboxServer) -> None:
    sb.set_rate_limit("20/s")
    with OpenToCloseAPI(sb.api_key, sb.base_url, rate_limit="15/s") as client:
        client.property_fields.keys()
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda n: client.contacts.create_contact({"first_name": str(n)}), range(40)
                )
            )
    sb.set_rate_limit(None)
    assert sb.stats()["rate_limited"] == 0


def test_lost_create_answers_raise_ambiguous_and_never_duplicate(sb: SandboxServer) -> None:
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001) as client:
        client.property_fields.keys()
        client.property_fields.team_member_id()
        sb.set_faults(rate=1.0, statuses=(502,), after_commit=True)
        with pytest.raises(AmbiguousWriteError) as caught:
            client.properties.create_property({"address": "1 Lost Answer Rd"})
        sb.set_faults()
        assert isinstance(caught.value.cause, ServerError)
        assert "may have been processed" in str(caught.value)
        assert "retry_posts='always'" in str(caught.value)
        assert [p["address"] for p in client.properties.iter_properties()] == ["1 Lost Answer Rd"]
    assert _count(sb, "POST /properties") == 1  # never sent twice


def test_updates_and_reads_still_retry_through_faults(sb: SandboxServer) -> None:
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.001, max_retries=8) as client:
        pid = client.properties.create_property({"address": "1 Flaky St"})["id"]
        sb.set_faults(rate=0.5, statuses=(502, 503))
        for city in ("A", "B", "C", "D"):
            client.properties.update_property(pid, {"city": city})
        assert client.properties.retrieve_property(pid)["city"] == "D"
        sb.set_faults()


class _Retries(Hook):
    def __init__(self) -> None:
        self.methods: list[str] = []

    def on_retry(self, call: Call, error: OpenToCloseAPIError, delay: float) -> None:
        self.methods.append(call.method)


def test_a_refused_connection_is_retried_even_for_creates() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with OpenToCloseAPI("k", f"http://127.0.0.1:{port}/v1", retry_backoff=0.001) as client:
        retries = _Retries()
        client.add_hook(retries)
        with pytest.raises(NetworkError) as caught:
            client.contacts.create_contact({"first_name": "x"})
        assert not isinstance(caught.value, AmbiguousWriteError)
        assert caught.value.request_sent is False
        assert retries.methods == ["POST"] * 3  # surely not processed: safe to send again


def test_retry_posts_always_with_a_server_that_honours_keys() -> None:
    with SandboxServer(api_key="k", idempotency_keys=True) as sb:
        with OpenToCloseAPI(
            "k", sb.base_url, retry_posts="always", retry_backoff=0.001, max_retries=10
        ) as client:
            client.property_fields.keys()
            client.property_fields.team_member_id()
            sb.set_faults(rate=0.5, statuses=(502,), after_commit=True)
            for n in range(20):
                client.properties.create_property({"address": f"{n} Keyed St"})
            sb.set_faults()
            counts = Counter(p["address"] for p in client.properties.iter_properties())
    assert counts == Counter({f"{n} Keyed St": 1 for n in range(20)})


def test_without_server_keys_a_blind_retry_would_duplicate() -> None:
    """Why the default is 'safe': the live-like sandbox ignores Idempotency-Key."""
    with SandboxServer(api_key="k") as sb:
        with OpenToCloseAPI("k", sb.base_url, retry_posts="always", retry_backoff=0.001) as c:
            c.property_fields.keys()
            c.property_fields.team_member_id()
            sb.set_faults(rate=1.0, statuses=(502,), after_commit=True)
            with pytest.raises(ServerError):
                c.properties.create_property({"address": "1 Twice St"})
            sb.set_faults()
            assert len(c.properties.list_properties()) == 4  # 1 + 3 retries: duplicates
