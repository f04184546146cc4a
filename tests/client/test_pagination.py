"""``iter_*`` walks every page lazily, with the caller's filters."""

from __future__ import annotations

import itertools

import pytest

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI
from open_to_close.sandbox import SandboxServer


@pytest.fixture
def twenty_five(client: OpenToCloseAPI) -> list[int]:
    return [
        client.properties.create_property(
            {"address": f"{n} Page St", "status": "active" if n % 2 else "sold"}
        )["id"]
        for n in range(25)
    ]


def test_iterates_every_page_in_order(
    client: OpenToCloseAPI, sb: SandboxServer, twenty_five: list[int]
) -> None:
    before = sb.stats()["requests"].get("GET /properties", 0)
    ids = [p["id"] for p in client.properties.iter_properties(page_size=10)]
    assert ids == twenty_five
    assert sb.stats()["requests"]["GET /properties"] - before == 3  # 10 + 10 + 5


def test_is_lazy(client: OpenToCloseAPI, sb: SandboxServer, twenty_five: list[int]) -> None:
    before = sb.stats()["requests"].get("GET /properties", 0)
    first = list(itertools.islice(client.properties.iter_properties(page_size=10), 3))
    assert [p["id"] for p in first] == twenty_five[:3]
    assert sb.stats()["requests"]["GET /properties"] - before == 1


def test_filters_and_offset_are_kept(client: OpenToCloseAPI, twenty_five: list[int]) -> None:
    sold = list(client.properties.iter_properties({"status": "sold"}, page_size=4))
    assert len(sold) == 13 and {p["status"] for p in sold} == {"sold"}
    tail = list(client.properties.iter_properties({"offset": 20, "limit": 2}, page_size=3))
    assert [p["id"] for p in tail] == twenty_five[20:]


def test_page_size_above_the_server_cap_still_reads_everything(
    client: OpenToCloseAPI, twenty_five: list[int]
) -> None:
    assert len(list(client.properties.iter_properties(page_size=10_000))) == 25


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10", True])
def test_bad_page_size(client: OpenToCloseAPI, bad: object) -> None:
    with pytest.raises(ValueError, match="page_size"):
        list(client.properties.iter_properties(page_size=bad))  # type: ignore[arg-type]


async def test_async_iteration(aclient: AsyncOpenToCloseAPI) -> None:
    prop = await aclient.properties.create_property({"address": "1 Async Way"})
    for n in range(7):
        await aclient.property_notes.create_property_note(prop["id"], {"content": f"n{n}"})
    notes = [n async for n in aclient.property_notes.iter_property_notes(prop["id"], page_size=3)]
    assert [n["content"] for n in notes] == [f"n{n}" for n in range(7)]
