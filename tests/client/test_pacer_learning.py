"""The pacer's rules for header-less 429s on their own, on a clock the test moves."""

from __future__ import annotations

import pytest

from open_to_close import _pacing
from open_to_close._pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(_pacing.time, "monotonic", fake)
    return fake


def _answers(pacer: Pacer, clock: Clock, count: int, every: float) -> None:
    for _ in range(count):
        clock.now += every
        pacer.release({}, 200)


def test_a_429_paces_at_what_got_through(clock: Clock) -> None:
    pacer = Pacer()
    assert pacer.rate is None
    _answers(pacer, clock, 10, 0.1)  # 10 answers in the last second
    pacer.release({}, 429)
    assert pacer.rate == pytest.approx(9.0)  # 90% of what got through
    assert pacer.reserve() == pytest.approx(1.0)  # the window is spent: everyone waits
    clock.now += 1.0
    assert pacer.reserve() == 0.0  # then one request at a time, 1/9 s apart
    assert pacer.reserve() == pytest.approx(-1 / 9)


def test_one_burst_of_429s_at_most_halves_the_pace(clock: Clock) -> None:
    pacer = Pacer()
    _answers(pacer, clock, 10, 0.1)
    pacer.release({}, 429)
    for _ in range(20):  # the rest of the burst: same adjustment
        pacer.release({}, 429)
    assert pacer.rate == pytest.approx(9.0)
    clock.now += 3  # nothing got through for a while, then another 429
    pacer.release({}, 429)
    assert pacer.rate == pytest.approx(4.5)


def test_it_speeds_up_again_and_stops_pacing_when_the_limit_is_gone(clock: Clock) -> None:
    pacer = Pacer()
    _answers(pacer, clock, 10, 0.1)
    pacer.release({}, 429)
    _answers(pacer, clock, 20, 0.1)  # within the hold: no change
    assert pacer.rate == pytest.approx(9.0)
    clock.now += 5
    _answers(pacer, clock, 50, 0.05)
    assert pacer.rate is not None and pacer.rate > 9.0 * 1.5
    _answers(pacer, clock, 400, 0.01)
    assert pacer.rate is None  # far above what was refused: no pacing at all


def test_retry_after_without_headers_holds_everyone(clock: Clock) -> None:
    pacer = Pacer()
    pacer.release({"retry-after": "2"}, 429)
    assert 1.9 < pacer.reserve() <= 2.0
    clock.now += 2.1
    assert pacer.reserve(ticket=pacer.generation) == 0.0


def test_the_setting_caps_what_is_learned(clock: Clock) -> None:
    pacer = Pacer(rate=2.0)
    assert pacer.rate == 2.0
    assert pacer.reserve() == 0.0
    assert pacer.reserve() == pytest.approx(-0.5)  # the next slot is half a second away
