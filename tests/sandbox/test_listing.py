"""Lists of the flat resources: paging, clamping, equality filters, modified_since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer

from .conftest import KEY


def _make(api: httpx2.Client, count: int, **fields: object) -> list[dict[str, object]]:
    return [api.post("/tags", json={"title": f"tag {n}", **fields}).json() for n in range(count)]


def test_limit_and_offset(api: httpx2.Client) -> None:
    made = _make(api, 7)
    ids = [r["id"] for r in made]
    assert [r["id"] for r in api.get("/tags").json()] == ids
    assert [r["id"] for r in api.get("/tags", params={"limit": 3}).json()] == ids[:3]
    page = api.get("/tags", params={"limit": 3, "offset": 5}).json()
    assert [r["id"] for r in page] == ids[5:]
    assert api.get("/tags", params={"offset": 70}).json() == []
    assert api.get("/tags", params={"limit": 0}).json() == []


def test_default_limit_is_20_and_limit_is_clamped_to_100(
    sbx: SandboxServer, api: httpx2.Client
) -> None:
    # Straight into the store: the quickest way to make 120 records.
    for n in range(120):
        sbx.core.store.create("tags", {"title": f"{n}"})
    assert len(api.get("/tags").json()) == 20
    assert len(api.get("/tags", params={"limit": 100000}).json()) == 100
    assert len(api.get("/tags", params={"limit": 10**30, "offset": 10**30}).json()) == 0


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", "1e3"])
def test_bad_paging_is_400(api: httpx2.Client, name: str, value: str) -> None:
    for path in ("/tags", "/properties"):
        response = api.get(path, params={name: value})
        assert response.status_code == 400
        assert name in response.json()["errors"]


def test_equality_filters(api: httpx2.Client) -> None:
    _make(api, 2, color="red", rank=5)
    blue = _make(api, 1, color="blue", rank=6, weight=2.5, featured=True)[0]
    assert len(api.get("/tags", params={"color": "red"}).json()) == 2
    assert api.get("/tags", params={"rank": "6"}).json() == [blue]
    assert api.get("/tags", params={"weight": "2.50"}).json() == [blue]
    assert api.get("/tags", params={"featured": "true"}).json() == [blue]
    assert api.get("/tags", params={"featured": "false"}).json() == []
    assert api.get("/tags", params={"color": "red", "rank": 6}).json() == []
    assert api.get("/tags", params={"color": "red", "limit": 1}).json()[0]["rank"] == 5
    assert len(api.get("/tags", params={"color": "red", "offset": 1}).json()) == 1


def test_modified_since(api: httpx2.Client) -> None:
    first = _make(api, 1)[0]
    cursor = str(first["updated_at"])
    later = _make(api, 2)
    after = api.get("/tags", params={"modified_since": cursor}).json()
    assert [r["id"] for r in after] == [r["id"] for r in later]
    # An update moves a record past the cursor again.
    api.patch(f"/tags/{first['id']}", json={"color": "green"})
    cursor2 = str(later[-1]["updated_at"])
    assert [r["id"] for r in api.get("/tags", params={"modified_since": cursor2}).json()] == [
        first["id"]
    ]


def test_modified_since_zones(api: httpx2.Client) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    _make(api, 1)
    naive = before.replace(tzinfo=None).isoformat()  # no zone: UTC
    assert len(api.get("/tags", params={"modified_since": naive}).json()) == 1
    # The same instant written in UTC+2: the zone is honoured, not dropped.
    shifted = before.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert len(api.get("/tags", params={"modified_since": shifted}).json()) == 1
    ahead = (datetime.now(UTC) + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=2)))
    assert api.get("/tags", params={"modified_since": ahead.isoformat()}).json() == []
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert api.get("/tags", params={"modified_since": future}).json() == []
    assert len(api.get("/tags", params={"modified_since": "2000-01-01"}).json()) == 1
    # "+02:00" typed raw into a URL arrives as " 02:00"; it still means UTC+2.
    raw_plus = f"{api.base_url}tags?api_token={KEY}&modified_since={ahead.isoformat()}"
    assert httpx2.get(raw_plus).json() == []


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", "", "99999-01-01"])
def test_unparseable_modified_since_is_400(api: httpx2.Client, value: str) -> None:
    response = api.get("/tags", params={"modified_since": value})
    assert response.status_code == 400
    assert "modified_since" in response.json()["errors"]


def test_updated_at_strictly_increases(sbx: SandboxServer, api: httpx2.Client) -> None:
    store = sbx.core.store
    stamps = [store.clock.now() for _ in range(2000)]
    assert stamps == sorted(set(stamps))
    record = api.post("/tags", json={"title": "a"}).json()
    seen = [record["updated_at"]]
    for n in range(20):
        seen.append(api.patch(f"/tags/{record['id']}", json={"n": n}).json()["updated_at"])
    assert seen == sorted(set(seen))
