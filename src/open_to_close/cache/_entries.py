"""Cache keys and the JSON envelope of a cached value.

An entry is ``{"s": stamp, "v": value}``. The stamp is the value, at the time the API was
read, of a version key that every write through the cached client replaces with a fresh
random token: ``ver:properties:12`` for one property (its record and its details), and
``gen:properties`` for every list of properties. A read whose stamp differs from the
current token is a miss. So a write invalidates any number of cached lists with one
``SET`` (no ``KEYS`` or ``SCAN``), and a read that was already on its way to the API when
the write happened cannot store a stale answer as fresh.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .._transport import query_value

__all__ = [
    "Malformed",
    "decode",
    "details_key",
    "encode",
    "generation_key",
    "item_key",
    "list_key",
    "new_token",
    "version_key",
]


class Malformed(ValueError):
    """A stored value that is not an entry this package wrote."""


def _id(record_id: int | str) -> str:
    """One key for every spelling of an id: ``1``, ``"1"`` and ``"01"`` are one record, so
    a write or invalidation of one can't leave another spelling's entry stale."""
    if type(record_id) is int:  # the common case, and quote() is slow
        return str(record_id)
    if isinstance(record_id, int) and not isinstance(record_id, bool):  # an IntEnum, say
        return str(int(record_id))
    text = str(record_id)
    if text.isascii() and text.isdigit():
        return str(int(text))
    return quote(text, safe="")


def item_key(resource: str, record_id: int | str) -> str:
    return f"item:{resource}:{_id(record_id)}"


def details_key(resource: str, record_id: int | str) -> str:
    return f"details:{resource}:{_id(record_id)}"


def version_key(resource: str, record_id: int | str) -> str:
    return f"ver:{resource}:{_id(record_id)}"


def generation_key(resource: str) -> str:
    return f"gen:{resource}"


def list_key(resource: str, params: Mapping[str, Any] | None) -> str:
    """One key per distinct query: the parameters as the transport would send them."""
    query = {k: query_value(v) for k, v in (params or {}).items() if v is not None}
    digest = hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:32]
    return f"list:{resource}:{digest}"


def new_token() -> str:
    return secrets.token_hex(8)


def encode(stamp: str, value: Any) -> str:
    """The entry as JSON text; a value JSON can't carry is refused, not stored."""
    return json.dumps({"s": stamp, "v": value}, separators=(",", ":"), allow_nan=False)


def decode(raw: bytes | str, kind: type) -> tuple[str, Any]:
    """``(stamp, value)`` of a stored entry; :class:`Malformed` for anything else.

    Only JSON is ever parsed, so a planted value can at worst be refused; ``kind`` (dict
    or list) is what the value must be for this key.
    """
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"not JSON ({exc.__class__.__name__})") from None
    if type(entry) is not dict or len(entry) != 2:
        raise Malformed("not a cache entry")
    stamp, value = entry.get("s"), entry.get("v")
    if type(stamp) is not str or type(value) is not kind:
        raise Malformed(f"not a cache entry holding a {kind.__name__}")
    return stamp, value


def copy_tree(value: Any) -> Any:
    """A copy of a decoded JSON value: new dicts and lists, shared immutable leaves."""
    kind = type(value)
    if kind is dict:
        return {k: copy_tree(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if kind is list:
        return [copy_tree(v) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)


def is_flat(value: Any) -> bool:
    """True for a dict or list of numbers, strings, booleans and nulls only."""
    items = value.values() if type(value) is dict else value
    return not any(type(v) in _CONTAINERS for v in items)


def stamp_of(raw: bytes | str | None) -> str:
    """The current token of a version key (empty when there is none)."""
    if raw is None:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
