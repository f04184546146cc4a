"""The ASGI edge: requests as :class:`Call`, answers as :class:`Reply`, errors as JSON."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = Sequence[tuple[bytes, bytes]]

_JSON = (b"content-type", b"application/json")


class ApiError(Exception):
    """An answer other than success: ``{"message": ..., "errors": {field: reason}}``."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def reply(self, headers: Headers = ()) -> Reply:
        return error_reply(self.status, self.message, self.errors, headers)


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: Headers = ()


@dataclass(slots=True)
class Call:
    """What a handler needs of one request."""

    method: str
    path: str
    path_params: dict[str, str]
    query: bytes
    headers: Headers
    api_key: str
    body: bytes = b""
    _query: dict[str, str] | None = field(default=None, repr=False)

    def params(self) -> dict[str, str]:
        """The query string as a dict (last value wins), without ``api_token``."""
        if self._query is None:
            pairs = parse_qsl(self.query.decode("latin-1"), keep_blank_values=True)
            self._query = {name: value for name, value in pairs if name != "api_token"}
        return dict(self._query)

    def header(self, name: bytes) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("latin-1")
        return None


def error_reply(
    status: int, message: str, errors: dict[str, str] | None = None, headers: Headers = ()
) -> Reply:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return Reply(status, json.dumps(body).encode(), headers)


async def send_reply(send: Send, reply: Reply, extra: Headers = ()) -> None:
    status, body, headers = reply
    if status == 204:
        # HTTP forbids a body, and its framing headers, on 204.
        out = [*headers, *extra]
    else:
        out = [_JSON, (b"content-length", str(len(body)).encode()), *headers, *extra]
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": b"" if status == 204 else body})


class ClientGone(Exception):
    """The client hung up before sending its whole body."""


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
