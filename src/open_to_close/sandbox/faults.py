"""Fault injection: answer a fraction of requests with an error, before or after the write."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_FAULT_STATUSES = (500, 502, 503)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    rate: float = 0.0
    statuses: tuple[int, ...] = DEFAULT_FAULT_STATUSES
    latency_ms: float = 0.0
    # True: the write commits, then the error is answered (the "lost response" case).
    after_commit: bool = False


def make_plan(
    rate: float = 0.0,
    statuses: Iterable[int] = DEFAULT_FAULT_STATUSES,
    latency_ms: float = 0.0,
    after_commit: bool = False,
) -> FaultPlan:
    """A checked :class:`FaultPlan`; ``ValueError`` says which argument to fix."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault rate must be between 0.0 and 1.0, got {rate!r}")
    codes = tuple(int(code) for code in statuses)
    if not codes or any(not 400 <= code <= 599 for code in codes):
        raise ValueError(f"fault statuses must be HTTP error codes (400-599), got {codes!r}")
    if latency_ms < 0:
        raise ValueError(f"latency_ms must be 0 or more, got {latency_ms!r}")
    return FaultPlan(float(rate), codes, float(latency_ms), bool(after_commit))


class FaultInjector:
    def __init__(self, plan: FaultPlan | None = None, seed: int = 0) -> None:
        self.plan = plan or FaultPlan()
        self._seed = seed
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def set(self, plan: FaultPlan) -> None:
        self.plan = plan

    def reset(self) -> None:
        with self._lock:
            self._random = random.Random(self._seed)

    def draw(self) -> int | None:
        """The status to answer this request with, or None to serve it normally."""
        plan = self.plan
        if plan.rate <= 0.0:
            return None
        with self._lock:
            if self._random.random() >= plan.rate:
                return None
            return self._random.choice(plan.statuses)
