"""Regression tests of issue 11's defects in the client (each failed before its fix)."""

from __future__ import annotations

from typing import Any

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


def _echo_app() -> Any:
    """An API that echoes the request's query string (the key in it) in its errors."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def refuse(request: Request) -> JSONResponse:
        query = request.url.query
        key = request.query_params.get("api_token", "")
        return JSONResponse(
            {
                "message": f"bad request to {request.url.path}?{query}",
                "errors": {"api_token": f"{key} is not allowed here", key: "echoed as a key"},
                "request": {"query": query, "params": [key]},
            },
            status_code=422,
        )

    return Starlette(routes=[Route("/v1/contacts", refuse, methods=["POST"])])


@pytest.mark.defect(11)
def test_the_key_never_reaches_field_errors_or_response_data() -> None:
    from open_to_close import ValidationError
    from open_to_close._serving import BackgroundServer

    key = "live-key-9c1f0e77d2"
    with BackgroundServer(_echo_app()) as server:
        with OpenToCloseAPI(key, f"{server.url}/v1", max_retries=0) as client:
            with pytest.raises(ValidationError) as caught:
                client.contacts.create_contact({"first_name": "x"})
    error = caught.value
    for text in (str(error), repr(error), repr(error.field_errors), repr(error.response_data)):
        assert key not in text
    assert error.field_errors["api_token"] == "*** is not allowed here"
