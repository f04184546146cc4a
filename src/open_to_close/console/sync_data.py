"""What the Sync and Overview pages read from the sync state beyond ``SyncState.history``:
a run, a run's failed rows, and what a run's counts say.

Failed rows are paged on their key (``after=<n>``) and read the state's declared tables
(``state.tables``), so a run of any size costs one indexed range per page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..sync.state import RunRecord, SyncState


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def processed(counts: dict[str, Any]) -> int:
    """Records a run went through (a two-way run: the writes of both directions)."""
    for name in ("processed", "pulled"):
        if name in counts:
            return _int(counts[name])
    return sum(
        _int(v)
        for side in counts.values()
        if isinstance(side, dict)
        for k, v in side.items()
        if k != "conflicts"
    )


def requests_spent(counts: dict[str, Any]) -> int:
    """Requests a run made to Open To Close: the reads of its scan plus one per write
    (retries are not counted, so this is a lower bound)."""
    writes = 0  # a pull writes only to its sink
    if "processed" in counts:  # push
        writes = _int(counts.get("created")) + _int(counts.get("updated"))
    to_otc = counts.get("external_to_otc")
    if isinstance(to_otc, dict):
        writes = sum(_int(to_otc.get(k)) for k in ("created", "updated", "deleted"))
    return _int(counts.get("scan_requests")) + writes


def describe_counts(counts: dict[str, Any]) -> str:
    parts = []
    for name, value in counts.items():
        if name == "scan_requests":
            continue
        if isinstance(value, dict):
            shown = ", ".join(f"{k} {v}" for k, v in value.items() if v)
            parts.append(f"{name.replace('_', ' ')}: {shown or 'nothing'}")
        elif value not in (None, 0, False):
            parts.append(f"{name} {value}")
    return "; ".join(parts) or "nothing to do"


def run(state: SyncState, run_id: int) -> RunRecord | None:
    found = state.history(run_id=run_id, limit=1)
    return found[0] if found else None


def failures(state: SyncState, run_id: int, limit: int, after: int = -1) -> list[dict[str, Any]]:
    """A run's failed records kept in the state, in order, from number ``after + 1``."""
    t = state.tables.run_failures
    query = select(t).where(t.c.run_id == run_id, t.c.n > after).order_by(t.c.n).limit(limit)
    with state.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
