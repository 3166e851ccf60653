"""Geometry of the server-drawn charts (inline SVG, no script, no external asset).

Every chart is a list of horizontal bars: the label on its own line above
the bar, the value at the bar's end.  The drawing is 360 units wide, the
width of a phone, so text stays readable there and scales up on wider
screens.  Each chart's numbers are also shown as a table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360
ROW = 40  # label line + bar
BAR = 14
VALUE_ROOM = 70  # space kept right of the longest bar for its value


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
