"""What every benchmark prints: a table of side-by-side ratios, optionally saved as JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any


def interleaved(rounds: int, **runs: Callable[[], float]) -> dict[str, float]:
    """Run each function once per round, alternating; the median rate of each."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            results[name].append(run())
    return {name: statistics.median(values) for name, values in results.items()}


class Report:
    """Rows of ``ours`` against a baseline, each with its target ratio."""

    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}

    def row(self, name: str, ours: float, base: float, target: float, unit: str) -> None:
        ratio = ours / base
        self.figures[name] = {
            "ours": round(ours, 1),
            "baseline": round(base, 1),
            "ratio": round(ratio, 3),
            "target": target,
            "unit": unit,
            "pass": ratio >= target,
        }

    def print_table(self) -> None:
        rows = [(n, f) for n, f in self.figures.items() if "ratio" in f]
        width = max(len(name) for name, _ in rows)
        print(f"\n{'benchmark':<{width}}  {'ours':>10}  {'baseline':>10}  {'ratio':>7}  target")
        for name, fig in rows:
            print(
                f"{name:<{width}}  {fig['ours']:>10,.0f}  {fig['baseline']:>10,.0f}  "
                f"{fig['ratio']:>6.2f}x  >= {fig['target']:.2f}x ({fig['unit']})"
            )

    def finish(self, json_path: Path | None) -> int:
        """Save the figures if asked, name what missed its target; the exit code (0)."""
        if json_path:
            json_path.write_text(json.dumps(self.figures, indent=2) + "\n")
        failed = [name for name, fig in self.figures.items() if not fig["pass"]]
        if failed:
            print("below target: " + ", ".join(failed))
        return 0


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``), in MB.

    Not ``ru_maxrss``: Linux keeps that across ``exec``, so a child forked from a big
    benchmark process would report the parent's peak as its own.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
