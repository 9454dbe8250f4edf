"""Bar charts as geometry for server-rendered SVG (no script, no inline style: the CSP allows neither).

Pure functions: numbers in, rectangles and labels out; the template draws `<rect>` and `<text>` with
classes from static/css/staff_area.css.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 600
HEIGHT = 180
TOP = 10
BOTTOM = 24  # room for the category labels
LEFT = 32  # room for the scale


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    title: str  # the tooltip and accessible text: "Mon 3 Mar · inbound: 4"
    css: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    left: float
    bars: list[Bar]
    ticks: list[Tick]
    top_value: int
    top_y: float
    series: list[tuple[str, str]]  # (name, css) for the legend


def bar_chart(
    *,
    categories: list[str],
    series: list[tuple[str, str, list[int]]],
    label_every: int = 1,
) -> BarChart:
    """Grouped bars: one group per category, one bar per series (name, css class, values)."""
    top_value = max([1, *(value for _, _, values in series for value in values)])
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    slot = plot_width / max(1, len(categories))
    bar_width = max(0.5, slot * 0.8 / max(1, len(series)))
    bars: list[Bar] = []
    ticks: list[Tick] = []
    for index, category in enumerate(categories):
        group_x = LEFT + index * slot + slot * 0.1
        for position, (name, css, values) in enumerate(series):
            value = values[index]
            height = plot_height * value / top_value
            bars.append(
                Bar(
                    x=round(group_x + position * bar_width, 2),
                    y=round(baseline - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    value=value,
                    title=f"{category} · {name}: {value}",
                    css=css,
                )
            )
        if index % max(1, label_every) == 0:
            ticks.append(Tick(x=round(LEFT + index * slot + slot / 2, 2), label=category))
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        baseline=baseline,
        left=LEFT,
        bars=bars,
        ticks=ticks,
        top_value=top_value,
        top_y=float(TOP),
        series=[(name, css) for name, css, _ in series],
    )
