"""Bar charts drawn on the server as SVG geometry: no chart library, no script,
no style attribute (the page's CSP allows neither); colours come from app.css
classes. The template (web/_bar_chart.html) only places what is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 900
LABEL_WIDTH = 170  # the group labels at the left
TEXT_ROOM = 150  # after the longest bar, for its value
BAR = 14
GAP = 3
GROUP_GAP = 14
TOP = 8


@dataclass(frozen=True)
class BarValue:
    value: float
    css: str  # "bar-<series>"
    text: str  # written after the bar
    title: str = ""  # the tooltip (and what a screen reader gets)


@dataclass(frozen=True)
class Bar:
    """Coordinates as SVG numbers (strings: templates must not localize them)."""

    x: str
    y: str
    width: str
    height: str
    css: str
    text: str
    text_x: str
    text_y: str
    title: str


@dataclass(frozen=True)
class GroupLabel:
    text: str
    y: str


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


@dataclass
class Chart:
    title: str
    width: int
    height: int
    key: str = "chart"  # the element id
    bars: list[Bar] = field(default_factory=list)
    groups: list[GroupLabel] = field(default_factory=list)
    axis_x: str = _n(LABEL_WIDTH)
    label_x: str = _n(LABEL_WIDTH - 8)
    empty_x: str = _n(LABEL_WIDTH + 5)
    empty_text: list[tuple[str, str]] = field(default_factory=list)  # (y, text)


def grouped_bars(key: str, title: str, groups: Sequence[tuple[str, Sequence[BarValue]]]) -> Chart:
    """Horizontal bars, one group per label, all on one scale."""
    top = max((b.value for _, bars in groups for b in bars), default=0) or 1
    plot = WIDTH - LABEL_WIDTH - TEXT_ROOM
    chart = Chart(title, WIDTH, 0, key)
    y = float(TOP)
    for label, bars in groups:
        rows = max(len(bars), 1)
        height = rows * BAR + (rows - 1) * GAP
        chart.groups.append(GroupLabel(label, _n(y + height / 2 + 4)))
        if not bars:
            chart.empty_text.append((_n(y + BAR - 3), "—"))
        for i, b in enumerate(bars):
            by = y + i * (BAR + GAP)
            w = plot * max(b.value, 0) / top
            chart.bars.append(
                Bar(
                    x=_n(LABEL_WIDTH),
                    y=_n(by),
                    width=_n(w),
                    height=_n(BAR),
                    css=b.css,
                    text=b.text,
                    text_x=_n(LABEL_WIDTH + w + 5),
                    text_y=_n(by + BAR - 3),
                    title=b.title or b.text,
                )
            )
        y += height + GROUP_GAP
    chart.height = round(y - GROUP_GAP + TOP)
    return chart
