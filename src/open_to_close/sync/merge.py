"""Deciding what a record should become when both sides may have changed it.

Changes are found per field against the **base snapshot**: the field values both sides held
after the last sync. A field changed on one side only is taken from that side; a field
changed on both sides to different values is a conflict. Clocks are never used to find
conflicts (they drift, and an edit made twice is not a conflict); ``latest_wins`` uses
them only to pick a winner once a conflict exists.

A side that deleted the record is ``None``. A delete and an edit on the other side is a
conflict too; ``latest_wins`` keeps the edit (a delete carries no time, and keeping data is
the choice that can be undone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["STRATEGIES", "Decision", "decide", "field_choices", "merge_choice"]

Strategy = Literal["latest_wins", "otc_wins", "external_wins", "manual", "merge"]
STRATEGIES: tuple[str, ...] = ("latest_wins", "otc_wins", "external_wins", "manual", "merge")
Snapshot = Mapping[str, Any]

DELETED = "(deleted)"


@dataclass(frozen=True, slots=True)
class Decision:
    """What both sides should hold (``target``; None: the record is deleted on both)."""

    target: dict[str, Any] | None
    conflicts: list[str] = field(default_factory=list)
    # None: no conflict; otc_wins / external_wins / merged / manual_required
    resolution: str | None = None

    @property
    def manual(self) -> bool:
        return self.resolution == "manual_required"


def changed(before: Snapshot | None, after: Snapshot) -> set[str]:
    """Fields whose value differs (every field of ``after`` when there is no ``before``)."""
    if before is None:
        return set(after)
    return {k for k, v in after.items() if before.get(k) != v}


def _winner(
    strategy: str,
    otc_time: datetime | None,
    ext_time: datetime | None,
    otc_deleted: bool,
    ext_deleted: bool,
) -> str:
    if strategy == "otc_wins":
        return "otc"
    if strategy == "external_wins":
        return "external"
    if strategy == "manual":
        return "manual"
    # latest_wins: an edit beats a delete; otherwise the later change, the external side
    # on a tie or when a time is missing (it is the side the user chose to sync from).
    if otc_deleted or ext_deleted:
        return "external" if otc_deleted else "otc"
    if otc_time is not None and ext_time is not None and otc_time > ext_time:
        return "otc"
    return "external"


def decide(
    base: Snapshot | None,
    otc: Snapshot | None,
    ext: Snapshot | None,
    strategy: str = "latest_wins",
    fallback: str = "latest_wins",
    otc_time: datetime | None = None,
    ext_time: datetime | None = None,
) -> Decision:
    """The outcome for one record, given the base and each side's current values."""
    if otc is None and ext is None:
        return Decision(None)
    if otc is None or ext is None:
        present = ext if otc is None else otc
        assert present is not None
        edited = sorted(changed(base, present)) if base is not None else sorted(present)
        if not edited:
            return Decision(None)  # deleted on one side, untouched on the other
        rule = fallback if strategy == "merge" else strategy
        win = _winner(rule, otc_time, ext_time, otc is None, ext is None)
        return _resolved(win, otc, ext, [DELETED, *edited], rule != strategy, dict(present))
    by_otc = changed(base, otc)
    by_ext = changed(base, ext)
    conflicts = sorted(f for f in by_otc & by_ext if otc.get(f) != ext.get(f))
    merged = dict(base or {})
    merged.update({f: otc[f] for f in by_otc})
    merged.update({f: ext[f] for f in by_ext if f not in by_otc or f not in conflicts})
    if not conflicts:
        return Decision(merged)
    if strategy != "merge":
        win = _winner(strategy, otc_time, ext_time, False, False)
        return _resolved(win, otc, ext, conflicts, False, merged)
    win = _winner(fallback, otc_time, ext_time, False, False)
    if win == "manual":
        return Decision(merged, conflicts, "manual_required")
    side = otc if win == "otc" else ext
    merged.update({f: side[f] for f in conflicts})
    return Decision(merged, conflicts, "merged")


def _resolved(
    win: str,
    otc: Snapshot | None,
    ext: Snapshot | None,
    conflicts: list[str],
    merging: bool,
    merged: dict[str, Any],
) -> Decision:
    if win == "manual":
        return Decision(merged, conflicts, "manual_required")
    side = otc if win == "otc" else ext
    resolution = "merged" if merging else f"{win}_wins"
    return Decision(None if side is None else dict(side), conflicts, resolution)


def apply_resolution(
    base: Snapshot,
    otc: Snapshot | None,
    ext: Snapshot | None,
    use: str,
    fields: list[str] | None = None,
) -> Decision:
    """A stored conflict settled by a person: ``use`` is ``otc``, ``external``, or a
    per-field choice over the conflict's ``fields`` (see :func:`merge_choice`).

    Fields changed on one side only still merge; the conflicting ones come from ``use``.
    """
    choices = field_choices(fields or [], use)
    if choices is None:
        return decide(base, otc, ext, "merge", "otc_wins" if use == "otc" else "external_wins")
    decision = decide(base, otc, ext, "merge", "otc_wins")
    if otc is None or ext is None or decision.target is None:
        return decision  # a delete has no fields to pick from (refused when chosen)
    merged = dict(decision.target)
    merged.update({f: ext[f] for f, side in choices.items() if side == "external" and f in ext})
    return Decision(merged, decision.conflicts, "merged")


_MERGE = "merge:"
MAX_MERGE_FIELDS = 56  # per-field choices fit the resolution column (14 hex digits)


def _bit_order(fields: list[str]) -> list[str]:
    """A conflict's fields in the order of a stored choice's bits (bit n: the n-th)."""
    return [f for f in sorted(fields) if f != DELETED]


def merge_choice(fields: list[str], choices: Mapping[str, str]) -> str:
    """How a per-field decision is stored: ``merge:<hex>``, bit n set when the n-th of the
    conflict's (sorted) ``fields`` takes the external value. ``choices`` must name each
    field once, ``otc`` or ``external``; a ``ValueError`` says what is missing or wrong."""
    named = _bit_order(fields)
    if DELETED in fields:
        raise ValueError("one side deleted the record: choose otc or external for all of it")
    if len(named) > MAX_MERGE_FIELDS:
        raise ValueError(f"a per-field choice takes at most {MAX_MERGE_FIELDS} fields")
    unknown = sorted(set(choices) - set(named))
    missing = [f for f in named if f not in choices]
    wrong = sorted(f for f, side in choices.items() if side not in ("otc", "external"))
    if unknown or missing or wrong:
        problems = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("not in this conflict", unknown),
                ("no choice for", missing),
                ("choose otc or external for", wrong),
            )
            if names
        ]
        raise ValueError("; ".join(problems))
    bits = sum(1 << n for n, f in enumerate(named) if choices[f] == "external")
    return f"{_MERGE}{bits:x}"


def field_choices(fields: list[str], resolution: str | None) -> dict[str, str] | None:
    """The per-field choices a stored resolution holds (None: a whole side wins)."""
    if not resolution or not resolution.startswith(_MERGE):
        return None
    bits = int(resolution[len(_MERGE) :] or "0", 16)
    named = _bit_order(fields)
    return {f: "external" if bits >> n & 1 else "otc" for n, f in enumerate(named)}
