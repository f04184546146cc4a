"""Field values as Open To Close reads them back, so both sides of a sync compare alike.

The live API stores choices as option titles and text as text: a push of
``{"property_type": "single_family", "square_feet": 1800}`` reads back as
``"Single Family"`` and ``1800`` (the flat view turns the text into a number again).
:class:`FieldValues` turns what sync is about to send into that read-back form
(:meth:`~FieldValues.canon`), reads the same names from a record
(:meth:`~FieldValues.read`), and hashes either, so a record found in Open To Close is
recognised as holding what a source row would write without a request to compare.

:func:`scan` reads the whole property collection at the API's page size and counts
the requests it took: with no ``updated_at`` and no ``modified_since``, reading every
record is how changes are found (one scan of N properties is ⌈N/50⌉ requests, at most
one more when the page size isn't known yet).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._hooks import Call, Hook
from ..exceptions import ValidationError
from .mapping import RowError

__all__ = ["FieldValues", "Scan", "content_hash", "scan"]

PAGE = 50  # the live API's largest page of properties


def content_hash(payload: Mapping[str, Any]) -> str:
    """A stable digest of field values (key order and spacing don't matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _blank(value: Any) -> bool:
    return value is None or value == ""


class FieldValues:
    """The flat view of a client's account, for sync: write form -> read form.

    ``otc_client`` without ``property_fields`` (a stand-in) compares values as given.
    """

    def __init__(self, otc_client: Any) -> None:
        fields = getattr(otc_client, "property_fields", None)
        self._source = fields
        self._codec: Any = None

    @property
    def codec(self) -> Any:
        if self._codec is None and self._source is not None:
            self._codec = self._source.codec
        return self._codec

    def has_key(self, key: str) -> bool:
        """Whether ``key`` is a field of the account (True when it can't be checked)."""
        codec = self.codec
        return codec is None or key in codec.table

    def canon(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as Open To Close will read them back; :class:`RowError` names every
        value the account refuses (an unknown option, a number that isn't one)."""
        codec = self.codec
        out: dict[str, Any] = {}
        problems: list[str] = []
        for name, value in values.items():
            if _blank(value) or codec is None:
                out[name] = None if _blank(value) else value
                continue
            try:
                encoded = codec.encode({name: value})
            except ValidationError as exc:
                problems.extend(f"{k} {v}" for k, v in (exc.field_errors or {}).items())
                continue
            if not encoded:  # a key of the record itself, not a field: compared as given
                out[name] = value
                continue
            sent = encoded[0]
            field = codec.table.by_id(sent["id"])
            api = sent["value"]
            if field is not None and field.type == "choice":
                option = field.option(api)
                api = option.title if option is not None else api
            out[name] = codec.flat_value(name, api) if name in codec.aliases else api
        if problems:
            raise RowError("rejected by Open To Close: " + "; ".join(problems))
        return out

    def read(self, record: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
        """The values of ``names`` (flat names or field keys) in a record read from the API."""
        by_key: dict[Any, Any] | None = None
        out: dict[str, Any] = {}
        for name in names:
            if name in record:
                value = record[name]
            else:
                if by_key is None:
                    raw = record.get("field_values") or ()
                    by_key = {v.get("key"): v.get("value") for v in raw if isinstance(v, dict)}
                value = by_key.get(name)
            out[name] = None if _blank(value) else value
        return out

    def digest(self, record: Mapping[str, Any], names: Iterable[str]) -> str:
        return content_hash(self.read(record, names))


class _Counter(Hook):
    """Counts the property listings made on one thread (the scanning one)."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.requests = 0

    def on_request(self, call: Call) -> None:
        mine = threading.get_ident() == self.thread
        if mine and call.method == "GET" and call.template == "/properties":
            self.requests += 1


class Scan:
    """One read of every property; ``requests`` is what it cost, once it has ended."""

    def __init__(self, otc_client: Any, params: Mapping[str, Any] | None = None) -> None:
        self.client = otc_client
        self.params = params
        self.requests = 0
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        counter = _Counter()
        add = getattr(self.client, "add_hook", None)
        if callable(add):
            add(counter)
        try:
            for record in self.client.properties.iter_properties(self.params, page_size=PAGE):
                self.count += 1
                yield record
        finally:
            if callable(add):
                self.client.remove_hook(counter)
                self.requests = counter.requests


def scan(otc_client: Any, params: Mapping[str, Any] | None = None) -> Scan:
    """Every property, paged at the API's size: ``for record in (s := scan(client))``,
    then ``s.requests``."""
    return Scan(otc_client, params)
