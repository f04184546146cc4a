"""Deciding a record against its base snapshot: properties that hold for any edits."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from open_to_close.sync.merge import DELETED, apply_resolution, decide

FIELDS = ("address", "city", "listing_price", "status")
values = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["a", "b"]))
snapshots = st.fixed_dictionaries({f: values for f in FIELDS})
strategies = st.sampled_from(["latest_wins", "otc_wins", "external_wins", "merge"])

EARLY, LATE = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)


@given(snapshots, snapshots, strategies)
def test_a_change_on_one_side_is_taken_whatever_the_strategy(
    base: dict[str, object], edited: dict[str, object], strategy: str
) -> None:
    assert decide(base, edited, base, strategy).target == edited
    assert decide(base, base, edited, strategy).target == edited
    assert decide(base, edited, base, strategy).conflicts == []


@given(snapshots, snapshots, snapshots, strategies)
def test_conflicts_are_exactly_the_fields_both_changed_differently(
    base: dict[str, object], otc: dict[str, object], ext: dict[str, object], strategy: str
) -> None:
    decision = decide(base, otc, ext, strategy, "otc_wins", EARLY, LATE)
    expected = sorted(f for f in FIELDS if base[f] != otc[f] != ext[f] and base[f] != ext[f])
    assert decision.conflicts == expected
    target = decision.target
    assert target is not None
    for field in FIELDS:
        if otc[field] == base[field] and (not expected or strategy == "merge"):
            assert target[field] == ext[field]  # only the external side touched it
        if field not in expected and strategy == "merge":
            assert target[field] in (otc[field], ext[field])


def test_record_strategies_pick_a_whole_side_merge_picks_fields() -> None:
    base = {"city": "A", "listing_price": 1}
    otc = {"city": "A", "listing_price": 2}
    ext = {"city": "B", "listing_price": 3}
    assert decide(base, otc, ext, "otc_wins").target == otc
    assert decide(base, otc, ext, "external_wins").target == ext
    assert decide(base, otc, ext, "latest_wins", otc_time=LATE, ext_time=EARLY).target == otc
    assert decide(base, otc, ext, "latest_wins", otc_time=EARLY, ext_time=LATE).target == ext
    merged = decide(base, otc, ext, "merge", "otc_wins")
    assert (merged.target, merged.resolution) == ({"city": "B", "listing_price": 2}, "merged")
    held = decide(base, otc, ext, "manual")
    assert held.manual and held.conflicts == ["listing_price"]
    assert decide(base, otc, ext, "merge", "manual").manual


def test_deletes() -> None:
    base = {"city": "A"}
    assert decide(base, None, base).target is None  # deleted, untouched elsewhere: delete
    assert decide(base, base, None).target is None
    assert decide(base, None, None).target is None
    edited = {"city": "B"}
    keep = decide(base, None, edited)  # a delete against an edit: the edit survives
    assert keep.target == edited and keep.conflicts == [DELETED, "city"]
    assert decide(base, None, edited, "otc_wins").target is None
    assert decide(base, edited, None, "merge", "external_wins").target is None


def test_a_person_settles_a_stored_conflict() -> None:
    base = {"city": "A", "listing_price": 1}
    otc = {"city": "A", "listing_price": 2}
    ext = {"city": "B", "listing_price": 3}
    assert apply_resolution(base, otc, ext, "otc").target == {"city": "B", "listing_price": 2}
    assert apply_resolution(base, otc, ext, "external").target == ext
