"""Geometry of the server-drawn charts (inline SVG, no script, no external asset).

Two kinds: horizontal bars (the label on its own line above the bar, the value
at the bar's end) and a column histogram (scores along the bottom).  The drawing
is 300 units wide, about the width a chart gets on a 360 px phone, so 13-unit
text is ~13 px there; CSS caps the width on wider screens so the text does not
grow huge.  Each chart's numbers are also shown as a table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 300
FONT = 13
ROW = 40  # label line + bar
BAR = 14
VALUE_ROOM = 64  # space kept right of the longest bar for its value


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as shown
    label_y: float
    y: float
    width: float
    text_x: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bar_height: int
    bars: list[Bar]
    font: int = FONT


@dataclass(frozen=True)
class Column:
    label: str  # under the column ("" when skipped for room)
    text: str  # the value above the column ("" when skipped)
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    baseline: float  # y of the axis
    columns: list[Column]
    font: int = FONT


def hbars(items: list[tuple[str, float, str]], max_value: float | None = None) -> Chart:
    """``items``: (label, value, value as text)."""
    top = max_value if max_value is not None else max([v for _, v, _ in items] + [0])
    span = WIDTH - VALUE_ROOM
    bars = []
    for i, (label, value, text) in enumerate(items):
        width = 0.0 if not top else max(0.0, min(1.0, value / top)) * span
        y0 = i * ROW
        bars.append(Bar(label, text, y0 + 14, y0 + 20, round(width, 1), round(width + 4, 1)))
    return Chart(WIDTH, max(ROW, len(items) * ROW), BAR, bars)


def columns(items: list[tuple[str, float, str]], plot_height: int = 150) -> Histogram:
    """A column chart (e.g. entrants per score 0…20): ``items`` are (label, value, value as text).

    With many columns every other label (and value) is left out so that none overlap at
    phone width; the table beside the chart holds every number."""
    n = max(1, len(items))
    step = WIDTH / n
    every = 1 if step >= 2.2 * FONT else (2 if 2 * step >= 2.2 * FONT else 5)
    top = max([v for _, v, _ in items] + [0])
    head = FONT + 4  # room for the values above the tallest column
    baseline = head + plot_height
    cols = []
    for i, (label, value, text) in enumerate(items):
        h = 0.0 if not top else plot_height * max(0.0, value) / top
        shown = i % every == 0 or i == n - 1
        cols.append(Column(label if shown else "", text if shown and value else "", round(i * step + step * 0.1, 1),
                           round(baseline - h, 1), round(step * 0.8, 1), round(h, 1), round(i * step + step / 2, 1)))
    return Histogram(WIDTH, int(baseline + FONT + 8), baseline, cols)
