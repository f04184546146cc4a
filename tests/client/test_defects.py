"""Regression tests of issue 11's defects in the client (each failed before its fix)."""

from __future__ import annotations

import pytest

from open_to_close import NotFoundError, OpenToCloseAPI
from open_to_close._pacing import Pacer
from open_to_close.sandbox import SandboxServer


@pytest.mark.defect(5)
@pytest.mark.parametrize("bad", ["..", "."])
def test_dot_ids_never_reach_the_parent(client: OpenToCloseAPI, bad: str) -> None:
    pid = client.properties.create_property({"address": "1 Parent St"})["id"]
    with pytest.raises(TypeError, match="id must be"):
        client.property_notes.delete_property_note(pid, bad)
    with pytest.raises(TypeError, match="property_id must be"):
        client.property_notes.list_property_notes(bad)
    assert client.properties.retrieve_property(pid)["id"] == pid  # still there


@pytest.mark.defect(15)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "lots"])
def test_odd_rate_limit_headers_are_ignored(value: str) -> None:
    pacer = Pacer()
    headers = {
        "x-ratelimit-limit": value,
        "x-ratelimit-remaining": value,
        "x-ratelimit-reset": value,
    }
    pacer.release(headers, 200)  # no OverflowError, no ValueError
    assert pacer.header_limit is None
    pacer.release({"x-ratelimit-limit": "10", "x-ratelimit-remaining": value}, 200)
    assert pacer.reserve() == 0.0


@pytest.mark.defect(5)
def test_a_dot_dot_id_is_not_the_collection(client: OpenToCloseAPI, sb: SandboxServer) -> None:
    with pytest.raises(TypeError):
        client.properties.retrieve_property("..")
    with pytest.raises(NotFoundError):
        client.properties.retrieve_property("..%2F")
