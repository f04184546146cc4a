"""SandboxServer: lifecycle, stats, reset, seeding, and a file database across restarts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer

from .conftest import KEY


def test_stats_count_every_answer_by_template(sbx: SandboxServer, api: httpx2.Client) -> None:
    pid = api.post("/properties", json={"address": "a"}).json()["id"]
    api.get(f"/properties/{pid}")
    api.get("/properties/999")  # 404
    api.post(f"/properties/{pid}/notes", json={"content": "n"})
    api.get(f"/properties/{pid}/notes/1")
    api.get("/propertyFields")
    httpx2.get(f"{sbx.base_url}/properties")  # 401
    sbx.set_rate_limit("1/m")
    api.get("/teams")
    api.get("/teams")  # 429
    sbx.set_rate_limit(None)
    sbx.set_faults(rate=1.0)
    api.delete(f"/properties/{pid}")  # fault
    stats = sbx.stats()
    assert stats["requests"] == {
        "POST /properties": 1,
        "GET /properties/{id}": 2,
        "POST /properties/{property_id}/notes": 1,
        "GET /properties/{property_id}/notes/{id}": 1,
        "GET /propertyFields": 1,
        "GET /properties": 1,
        "GET /teams": 2,
        "DELETE /properties/{id}": 1,
    }
    assert stats["total"] == 10
    assert stats["rate_limited"] == 1
    assert stats["faults"] == 1


def test_stats_are_exact_under_concurrency(sbx: SandboxServer) -> None:
    def work(n: int) -> None:
        with httpx2.Client(base_url=sbx.base_url, params={"api_token": KEY}) as client:
            for _ in range(25):
                client.get("/properties/1")
                client.post("/tags", json={"name": f"t{n}"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    stats = sbx.stats()
    assert stats["requests"] == {"GET /properties/{id}": 200, "POST /tags": 200}
    assert stats["total"] == 400
    tags = httpx2.get(f"{sbx.base_url}/tags", params={"api_token": KEY, "limit": 500}).json()
    assert len({t["id"] for t in tags}) == 200


def test_reset_empties_everything(sbx: SandboxServer, api: httpx2.Client) -> None:
    api.post("/properties", json={"address": "a"}, headers={"Idempotency-Key": "r"})
    sbx.set_rate_limit("2/m")
    api.get("/properties")
    sbx.reset()
    assert sbx.stats() == {"total": 0, "requests": {}, "rate_limited": 0, "faults": 0}
    response = api.get("/properties")
    assert response.json() == []
    assert response.headers["x-ratelimit-remaining"] == "1"  # the window restarted
    again = api.post("/properties", json={"address": "b"}, headers={"Idempotency-Key": "r"})
    assert again.status_code == 201 and again.json()["id"] == 1  # key forgotten, ids restart


def test_seed_adds_deterministic_sample_properties() -> None:
    with SandboxServer(seed=4) as a, SandboxServer(seed=4) as b:
        first = httpx2.get(f"{a.base_url}/properties", params={"api_token": a.api_key}).json()
        second = httpx2.get(f"{b.base_url}/properties", params={"api_token": b.api_key}).json()
    assert len(first) == 4
    strip = [{k: v for k, v in r.items() if not k.endswith("_at")} for r in first]
    assert strip == [{k: v for k, v in r.items() if not k.endswith("_at")} for r in second]
    assert all(r["address"] and r["status"] for r in first)


def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with SandboxServer(api_key="k", db=db, seed=2) as sb:
        url = sb.base_url
        created = httpx2.post(f"{url}/properties", params={"api_token": "k"}, json={"address": "x"})
        record = created.json()
    with SandboxServer(api_key="k", db=str(db), seed=2) as sb:
        listed = httpx2.get(f"{sb.base_url}/properties", params={"api_token": "k"}).json()
        assert len(listed) == 3  # no second seeding
        assert listed[-1] == record
        changed = httpx2.patch(
            f"{sb.base_url}/properties/{record['id']}", params={"api_token": "k"}, json={"n": 1}
        ).json()
        assert changed["updated_at"] > record["updated_at"]
        new = httpx2.post(f"{sb.base_url}/teams", params={"api_token": "k"}, json={"name": "t"})
        assert new.json()["id"] > record["id"]


def test_start_stop_and_no_leaked_threads() -> None:
    before = set(threading.enumerate())
    sb = SandboxServer(api_key="k")
    with pytest.raises(RuntimeError, match="not running"):
        sb.base_url  # noqa: B018
    sb.start()
    assert sb.base_url.startswith("http://127.0.0.1:") and sb.base_url.endswith("/v1")
    url = sb.base_url
    assert httpx2.get(f"{url}/properties", params={"api_token": "k"}).status_code == 200
    sb.stop()
    sb.stop()  # idempotent
    assert set(threading.enumerate()) <= before
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{url}/properties", params={"api_token": "k"})
    sb.start()  # a stopped server can serve again
    assert httpx2.get(f"{sb.base_url}/properties", params={"api_token": "k"}).status_code == 200
    sb.stop()


def test_attributes(sbx: SandboxServer) -> None:
    assert sbx.api_key == KEY
    assert sbx.webhook_secret == "whsec"
    assert callable(sbx.app)
    assert repr(sbx).startswith("<SandboxServer http://")


async def test_app_is_usable_without_a_socket(sbx: SandboxServer) -> None:
    transport = httpx2.ASGITransport(app=sbx.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://x/v1") as client:
        made = await client.post("/tags", params={"api_token": KEY}, json={"name": "hot"})
        assert made.status_code == 201
    # Same state as the socket: the record is visible over HTTP.
    over_http = httpx2.get(f"{sbx.base_url}/tags", params={"api_token": KEY}).json()
    assert over_http == [made.json()]


def test_change_listeners_see_every_committed_change(
    sbx: SandboxServer, api: httpx2.Client
) -> None:
    events: list[tuple[str, object, object]] = []
    sbx.core.listeners.append(
        lambda kind, record, previous: events.append((kind, record, previous))
    )
    try:
        pid = api.post("/properties", json={"address": "a", "status": "active"}).json()["id"]
        api.patch(f"/properties/{pid}", json={"status": "sold"})
        api.post(f"/properties/{pid}/tasks", json={"title": "t"})
        api.post("/properties", json={})  # refused: no event
        api.delete(f"/properties/{pid}")
    finally:
        sbx.core.listeners.clear()
    kinds = [kind for kind, _, _ in events]
    assert kinds == [
        "property.created",
        "property.updated",
        "property_task.created",
        "property.deleted",
        "property_task.deleted",
    ]
    _, record, previous = events[1]
    assert isinstance(record, dict) and isinstance(previous, dict)
    assert (previous["status"], record["status"]) == ("active", "sold")
