"""Lists: paging, clamping, equality filters, and modified_since cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer

from .conftest import KEY


def _make(api: httpx2.Client, count: int, **fields: object) -> list[dict[str, object]]:
    return [
        api.post("/properties", json={"address": f"{n} Main", **fields}).json()
        for n in range(count)
    ]


def test_limit_and_offset(api: httpx2.Client) -> None:
    made = _make(api, 7)
    ids = [r["id"] for r in made]
    assert [r["id"] for r in api.get("/properties").json()] == ids
    assert [r["id"] for r in api.get("/properties", params={"limit": 3}).json()] == ids[:3]
    page = api.get("/properties", params={"limit": 3, "offset": 5}).json()
    assert [r["id"] for r in page] == ids[5:]
    assert api.get("/properties", params={"offset": 70}).json() == []
    assert api.get("/properties", params={"limit": 0}).json() == []


def test_default_limit_is_50_and_limit_is_clamped_to_500(
    sbx: SandboxServer, api: httpx2.Client
) -> None:
    # Straight into the store: the quickest way to make 520 records.
    for n in range(520):
        sbx.core.store.create("properties", {"address": f"{n}"})
    assert len(api.get("/properties").json()) == 50
    assert len(api.get("/properties", params={"limit": 100000}).json()) == 500
    assert len(api.get("/properties", params={"limit": 10**30, "offset": 10**30}).json()) == 0


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", "1e3"])
def test_bad_paging_is_422(api: httpx2.Client, name: str, value: str) -> None:
    response = api.get("/properties", params={name: value})
    assert response.status_code == 422
    assert name in response.json()["errors"]


def test_equality_filters(api: httpx2.Client) -> None:
    _make(api, 2, status="active", team_id=5)
    sold = _make(api, 1, status="sold", team_id=6, listing_price=250000.0, featured=True)[0]
    assert len(api.get("/properties", params={"status": "active"}).json()) == 2
    assert api.get("/properties", params={"team_id": "6"}).json() == [sold]
    assert api.get("/properties", params={"listing_price": "250000"}).json() == [sold]
    assert api.get("/properties", params={"featured": "true"}).json() == [sold]
    assert api.get("/properties", params={"featured": "false"}).json() == []
    assert api.get("/properties", params={"status": "active", "team_id": 6}).json() == []
    assert api.get("/properties", params={"status": "active", "limit": 1}).json()[0]["team_id"] == 5
    assert len(api.get("/properties", params={"status": "active", "offset": 1}).json()) == 1


def test_modified_since(api: httpx2.Client) -> None:
    first = _make(api, 1)[0]
    cursor = str(first["updated_at"])
    later = _make(api, 2)
    after = api.get("/properties", params={"modified_since": cursor}).json()
    assert [r["id"] for r in after] == [r["id"] for r in later]
    # An update moves a record past the cursor again.
    api.patch(f"/properties/{first['id']}", json={"city": "Austin"})
    cursor2 = str(later[-1]["updated_at"])
    assert [r["id"] for r in api.get("/properties", params={"modified_since": cursor2}).json()] == [
        first["id"]
    ]


def test_modified_since_zones(api: httpx2.Client) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    _make(api, 1)
    naive = before.replace(tzinfo=None).isoformat()  # no zone: UTC
    assert len(api.get("/properties", params={"modified_since": naive}).json()) == 1
    # The same instant written in UTC+2: the zone is honoured, not dropped.
    shifted = before.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert len(api.get("/properties", params={"modified_since": shifted}).json()) == 1
    ahead = (datetime.now(UTC) + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=2)))
    assert api.get("/properties", params={"modified_since": ahead.isoformat()}).json() == []
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert api.get("/properties", params={"modified_since": future}).json() == []
    assert len(api.get("/properties", params={"modified_since": "2000-01-01"}).json()) == 1
    # "+02:00" typed raw into a URL arrives as " 02:00"; it still means UTC+2.
    raw_plus = f"{api.base_url}properties?api_token={KEY}&modified_since={ahead.isoformat()}"
    assert httpx2.get(raw_plus).json() == []


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", "", "99999-01-01"])
def test_unparseable_modified_since_is_422(api: httpx2.Client, value: str) -> None:
    response = api.get("/properties", params={"modified_since": value})
    assert response.status_code == 422
    assert "modified_since" in response.json()["errors"]


def test_updated_at_strictly_increases(sbx: SandboxServer, api: httpx2.Client) -> None:
    store = sbx.core.store
    stamps = [store.clock.now() for _ in range(2000)]
    assert stamps == sorted(set(stamps))
    record = api.post("/properties", json={"address": "a"}).json()
    seen = [record["updated_at"]]
    for n in range(20):
        seen.append(api.patch(f"/properties/{record['id']}", json={"n": n}).json()["updated_at"])
    assert seen == sorted(set(seen))
