"""Idempotency keys and injected faults, including the lost-response case."""

from __future__ import annotations

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer


def test_same_key_replays_the_first_answer(api: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-1"}
    first = api.post("/properties", json={"address": "a"}, headers=headers)
    again = api.post("/properties", json={"address": "a"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(api.get("/properties").json()) == 1
    # Key order doesn't make it a different request.
    reordered = api.post("/properties", json={"address": "a"}, headers=headers)
    assert reordered.json()["id"] == first.json()["id"]


def test_same_key_different_body_or_path_is_422(api: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-2"}
    api.post("/properties", json={"address": "a"}, headers=headers)
    other = api.post("/properties", json={"address": "b"}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]
    elsewhere = api.post("/teams", json={"address": "a", "name": "t"}, headers=headers)
    assert elsewhere.status_code == 422
    assert len(api.get("/properties").json()) == 1


def test_without_a_key_each_post_creates(api: httpx2.Client) -> None:
    api.post("/properties", json={"address": "a"})
    api.post("/properties", json={"address": "a"})
    assert len(api.get("/properties").json()) == 2


def test_a_failed_validation_is_not_remembered(api: httpx2.Client) -> None:
    headers = {"Idempotency-Key": "key-3"}
    assert api.post("/properties", json={}, headers=headers).status_code == 422
    assert api.post("/properties", json={"address": "a"}, headers=headers).status_code == 201


def test_faults_before_commit_write_nothing(sbx: SandboxServer, api: httpx2.Client) -> None:
    sbx.set_faults(rate=1.0, statuses=(503,))
    response = api.post("/properties", json={"address": "a"}, headers={"Idempotency-Key": "k4"})
    assert response.status_code == 503
    assert response.json() == {"message": "injected fault"}
    sbx.set_faults()
    assert api.get("/properties").json() == []
    # The fault was not stored as the key's answer: the retry creates the record.
    retry = api.post("/properties", json={"address": "a"}, headers={"Idempotency-Key": "k4"})
    assert retry.status_code == 201
    assert sbx.stats()["faults"] == 1


def test_faults_after_commit_lose_only_the_response(sbx: SandboxServer, api: httpx2.Client) -> None:
    sbx.set_faults(rate=1.0, statuses=(500,), after_commit=True)
    lost = api.post("/properties", json={"address": "a"}, headers={"Idempotency-Key": "k5"})
    assert lost.status_code == 500
    sbx.set_faults()
    records = api.get("/properties").json()
    assert len(records) == 1  # the write happened
    retry = api.post("/properties", json={"address": "a"}, headers={"Idempotency-Key": "k5"})
    assert retry.status_code == 201
    assert retry.json() == records[0]
    assert len(api.get("/properties").json()) == 1


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
