"""Small inline-SVG charts: geometry computed here, drawn by ``templates/_charts.html``.

No library and no script: a chart is a few ``<rect>`` or a ``<polyline>`` sized to a
fixed view box that the page scales to its width.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT, PAD = 300.0, 110.0, 8.0


@dataclass
class Chart:
    name: str
    title: str
    unit: str
    bars: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    line: str = ""  # polyline points
    limit_y: float | None = None  # a dashed line (the rate limit)
    top: float = 0.0
    empty: bool = True
    width: float = WIDTH
    height: float = HEIGHT


def _scale(peak: float) -> float:
    return peak if peak > 0 else 1.0


def bars(name: str, title: str, unit: str, values: list[tuple[str, float]]) -> Chart:
    """One bar per ``(label, value)``, oldest first."""
    chart = Chart(name, title, unit)
    if not values:
        return chart
    peak = _scale(max(v for _, v in values))
    step = (WIDTH - 2 * PAD) / len(values)
    inner = HEIGHT - 2 * PAD
    for n, (label, value) in enumerate(values):
        h = inner * value / peak
        x = PAD + n * step
        chart.bars.append(
            (
                round(x, 1),
                round(HEIGHT - PAD - h, 1),
                round(max(step - 1, 1), 1),
                round(h, 1),
                f"{label}: {value:g} {unit}",
            )
        )
    chart.top, chart.empty = peak, not any(v for _, v in values)
    return chart


def line(
    name: str, title: str, unit: str, points: list[tuple[float, float]], limit: float | None = None
) -> Chart:
    """A line through ``(time, value)`` points, and a dashed ``limit`` if given."""
    chart = Chart(name, title, unit)
    if not points:
        return chart
    peak = _scale(max([v for _, v in points] + [limit or 0.0]))
    t0, t1 = points[0][0], points[-1][0]
    span = (t1 - t0) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def y(value: float) -> float:
        return round(HEIGHT - PAD - inner_h * value / peak, 1)

    chart.line = " ".join(f"{round(PAD + inner_w * (t - t0) / span, 1)},{y(v)}" for t, v in points)
    if limit:
        chart.limit_y = y(limit)
    chart.top, chart.empty = peak, False
    return chart
