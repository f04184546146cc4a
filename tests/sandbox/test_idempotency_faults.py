"""Idempotency keys (ignored by default, as live; an option) and injected faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer

from .conftest import create_body


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[SandboxServer]:
    with SandboxServer(api_key="k", idempotency_keys=True) as server:
        yield server


@pytest.fixture
def keyed(keyed_server: SandboxServer) -> Iterator[httpx2.Client]:
    """A client of a sandbox that honours Idempotency-Key, emptied."""
    keyed_server.reset()
    keyed_server.set_faults()
    with httpx2.Client(base_url=keyed_server.base_url, params={"api_token": "k"}) as client:
        yield client
    keyed_server.set_faults()


def test_the_key_is_ignored_by_default(api: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-0"}
    body = create_body(api)
    first = api.post("/properties/", json=body, headers=headers)
    again = api.post("/properties/", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] != first.json()["id"]  # a second record, as on the live API
    assert "idempotent-replayed" not in again.headers
    assert len(api.get("/properties").json()) == 2
    contact = {"first_name": "a"}
    api.post("/contacts", json=contact, headers=headers)
    api.post("/contacts", json=contact, headers=headers)
    assert len(api.get("/contacts").json()) == 2


def test_same_key_replays_the_first_answer(keyed: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-1"}
    body = create_body(keyed)
    first = keyed.post("/properties/", json=body, headers=headers)
    again = keyed.post("/properties/", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(keyed.get("/properties").json()) == 1
    # Key order doesn't make it a different request.
    reordered = keyed.post("/properties/", json=dict(reversed(body.items())), headers=headers)
    assert reordered.json()["id"] == first.json()["id"]


def test_same_key_different_body_or_path_is_422(keyed: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-2"}
    keyed.post("/contacts", json={"first_name": "a"}, headers=headers)
    other = keyed.post("/contacts", json={"first_name": "b"}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]
    elsewhere = keyed.post("/teams", json={"first_name": "a", "name": "t"}, headers=headers)
    assert elsewhere.status_code == 422
    assert len(keyed.get("/contacts").json()) == 1


def test_a_failed_validation_is_not_remembered(keyed: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-3"}
    assert keyed.post("/properties/", json={}, headers=headers).status_code == 400
    assert keyed.post("/properties/", json=create_body(keyed), headers=headers).status_code == 201


def test_faults_before_commit_write_nothing(sbx: SandboxServer, api: httpx2.Client) -> None:
    body = create_body(api)
    sbx.set_faults(rate=1.0, statuses=(503,))
    response = api.post("/properties/", json=body)
    assert response.status_code == 503
    assert response.json() == {"message": "injected fault"}
    sbx.set_faults()
    assert api.get("/properties").json() == []
    assert sbx.stats()["faults"] == 1


def test_faults_after_commit_still_commit(sbx: SandboxServer, api: httpx2.Client) -> None:
    body = create_body(api, address="9 Lost Ave")
    sbx.set_faults(rate=1.0, statuses=(500,), after_commit=True)
    lost = api.post("/properties/", json=body)
    assert lost.status_code == 500
    sbx.set_faults()
    records = api.get("/properties").json()
    assert len(records) == 1  # the write happened; only the answer was lost


def test_keyed_retry_after_a_lost_answer(keyed_server: SandboxServer, keyed: httpx2.Client) -> None:
    body = create_body(keyed)
    headers = {"Idempotency-Key": "k5"}
    keyed_server.set_faults(rate=1.0, statuses=(500,), after_commit=True)
    assert keyed.post("/properties/", json=body, headers=headers).status_code == 500
    keyed_server.set_faults(rate=1.0, statuses=(503,))
    assert keyed.post("/properties/", json=body, headers=headers).status_code == 503
    keyed_server.set_faults()
    retry = keyed.post("/properties/", json=body, headers=headers)
    assert retry.status_code == 201
    assert [r["id"] for r in keyed.get("/properties").json()] == [retry.json()["id"]]


def test_fault_rate_is_a_fraction_and_statuses_are_drawn(
    sbx: SandboxServer, api: httpx2.Client
) -> None:
    sbx.set_faults(rate=0.5, statuses=(500, 502))
    codes = [api.get("/properties").status_code for _ in range(200)]
    faults = [c for c in codes if c != 200]
    assert 60 < len(faults) < 140
    assert set(faults) == {500, 502}
    assert sbx.stats()["faults"] == len(faults)


def test_latency_is_added_without_blocking(sbx: SandboxServer) -> None:
    import time
    from concurrent.futures import ThreadPoolExecutor

    sbx.set_faults(latency_ms=200)
    url = f"{sbx.base_url}/properties"

    def call(_: int) -> int:
        return httpx2.get(url, params={"api_token": sbx.api_key}).status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(call, range(8))) == {200}
    elapsed = time.perf_counter() - start
    assert 0.2 <= elapsed < 1.0  # eight overlapping waits, not 1.6 s in a row


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 1.5}, {"rate": -0.1}, {"statuses": ()}, {"statuses": (200,)}, {"latency_ms": -1}],
)
def test_bad_fault_settings_are_refused(sbx: SandboxServer, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        sbx.set_faults(**kwargs)  # type: ignore[arg-type]
