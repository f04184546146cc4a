"""SandboxServer: lifecycle, stats, reset, seeding, and a file database across restarts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer

from .conftest import KEY, codec_of, create_body, new_property


def test_stats_count_every_answer_by_template(sbx: SandboxServer, api: httpx2.Client) -> None:
    body = create_body(api)  # GET /propertyFields, GET /teams
    sbx.reset()
    pid = api.post("/properties/", json=body).json()["id"]
    api.get(f"/properties/{pid}")
    api.get("/properties/999")  # 404
    api.post(f"/properties/{pid}/notes", json={"description": "n"})
    api.get(f"/properties/{pid}/notes/1")
    api.get("/propertyFields/")
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
    api.post("/properties", json=body)  # 405: the same template as /properties/
    assert sbx.stats()["requests"]["POST /properties"] == 2
    assert stats["rate_limited"] == 1
    assert stats["faults"] == 1


def test_stats_are_exact_under_concurrency(sbx: SandboxServer) -> None:
    def work(n: int) -> None:
        with httpx2.Client(base_url=sbx.base_url, params={"api_token": KEY}) as client:
            for _ in range(25):
                client.get("/properties/1")
                client.post("/tags", json={"title": f"t{n}"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    stats = sbx.stats()
    assert stats["requests"] == {"GET /properties/{id}": 200, "POST /tags": 200}
    assert stats["total"] == 400
    ids = {
        t["id"]
        for offset in (0, 100)
        for t in httpx2.get(
            f"{sbx.base_url}/tags", params={"api_token": KEY, "limit": 100, "offset": offset}
        ).json()
    }
    assert len(ids) == 200


def test_reset_empties_everything(sbx: SandboxServer, api: httpx2.Client) -> None:
    fields = api.get("/propertyFields").json()
    teams = api.get("/teams").json()
    new_property(api)
    api.post("/teams", json={"name": "extra"})
    sbx.set_rate_limit("3/m")
    api.get("/properties")
    sbx.reset()
    assert sbx.stats() == {"total": 0, "requests": {}, "rate_limited": 0, "faults": 0}
    assert api.get("/properties").json() == []
    assert api.get("/propertyFields").json() == fields  # the account's ids stay
    assert api.get("/teams").json()[0]["team_members"] == teams[0]["team_members"]
    assert len(api.get("/teams").json()) == 1  # the default team, back alone
    assert api.get("/properties").status_code == 429  # the window restarted: 3 calls above
    sbx.set_rate_limit(None)
    assert new_property(api) == 1  # ids restart


def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with SandboxServer(api_key="k", db=db, seed=2) as sb:
        client = httpx2.Client(base_url=sb.base_url, params={"api_token": "k"})
        fields = client.get("/propertyFields").json()
        teams = client.get("/teams").json()
        pid = new_property(client, address="x")
        record = client.get(f"/properties/{pid}").json()
    with SandboxServer(api_key="k", db=str(db), seed=5) as sb:  # another seed: no matter
        client = httpx2.Client(base_url=sb.base_url, params={"api_token": "k"})
        assert client.get("/propertyFields").json() == fields
        assert client.get("/teams").json() == teams
        listed = client.get("/properties").json()
        assert len(listed) == 3  # no second seeding
        assert listed[-1] == record
        changed = client.patch(
            f"/properties/{pid}", json={"fields": codec_of(client).encode({"city": "Austin"})}
        )
        assert changed.status_code == 200
        assert new_property(client) == pid + 1


def test_an_old_flat_database_is_refused(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, data TEXT)")
    with pytest.raises(ValueError, match="older sandbox"):
        SandboxServer(db=db)


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
        made = await client.post("/tags", params={"api_token": KEY}, json={"title": "hot"})
        assert made.status_code == 201
    # Same state as the socket: the record is visible over HTTP.
    over_http = httpx2.get(f"{sbx.base_url}/tags", params={"api_token": KEY}).json()
    assert over_http == [made.json()]


def test_change_listeners_see_every_committed_change(
    sbx: SandboxServer, api: httpx2.Client
) -> None:
    codec = codec_of(api)
    body = create_body(api, address="a", status="active")
    events: list[tuple[str, object, object]] = []
    sbx.core.listeners.append(
        lambda kind, record, previous: events.append((kind, record, previous))
    )
    try:
        pid = api.post("/properties/", json=body).json()["id"]
        api.patch(f"/properties/{pid}", json={"fields": codec.encode({"status": "sold"})})
        api.post(f"/properties/{pid}/tasks", json={"title": "t"})
        api.post("/properties/", json={})  # refused: no event
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
    assert (codec.flatten(previous)["status"], codec.flatten(record)["status"]) == (
        "active",
        "sold",
    )
