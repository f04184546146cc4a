"""Finding in Open To Close the records a push made, when its state can't say.

Two cases: a fresh (lost) state with an external id field, where every record carrying a
source id is re-linked; and creates whose answer was lost, or that a killed run left as
intents, which are looked up before they are sent again. Both read the whole collection
once (the live API has no filter on fields): by the external id field when there is one,
else by the content the create would have written, among the records no link claims.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from .report import Report
from .values import FieldValues, scan

Found = dict[str, tuple[str, str]]  # external id -> (Open To Close id, content digest)


@dataclass(frozen=True, slots=True)
class Reader:
    client: Any
    values: FieldValues
    report: Report

    def records(self) -> Iterable[dict[str, Any]]:
        listing = scan(self.client)
        yield from listing
        self.report.scan_requests += listing.requests


def by_id_field(
    reader: Reader,
    field: str,
    names: Iterable[str],
    wanted: Collection[str] | None,
    linked: Collection[str] = (),
) -> Found:
    """Records whose ``field`` holds an id (of ``wanted``, when given), the lowest
    Open To Close id first, skipping the ``linked`` ones."""
    names = tuple(names)
    found: Found = {}
    for record in reader.records():
        otc_id = str(record["id"])
        value = reader.values.read(record, [field])[field]
        if value is None or otc_id in linked:
            continue
        ext = str(value)
        if ext not in found and (wanted is None or ext in wanted):
            found[ext] = (otc_id, reader.values.digest(record, names))
    return found


def by_content(
    reader: Reader, names: Iterable[str], digests: dict[str, str], linked: Collection[str]
) -> Found:
    """Records holding what each create (external id -> digest) would have written; one
    record answers one create, so rows of equal content stay apart."""
    names = tuple(names)
    wanted = set(digests.values())
    candidates: dict[str, list[str]] = {}
    for record in reader.records():
        otc_id = str(record["id"])
        if otc_id in linked:
            continue
        digest = reader.values.digest(record, names)
        if digest in wanted:
            candidates.setdefault(digest, []).append(otc_id)
    found: Found = {}
    for ext, digest in sorted(digests.items()):
        ids = candidates.get(digest)
        if ids:
            found[ext] = (ids.pop(0), digest)
    return found
