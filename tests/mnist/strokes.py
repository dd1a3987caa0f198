"""Hand-made pen strokes of digits in 280x280 canvas coordinates, as a person would draw them.

Shared by the preprocessing parity test, the model check in Python and the browser test
(which replays them as real mouse movements), so all three see the same drawings.
"""

from __future__ import annotations

import math

Stroke = list[tuple[float, float]]


def _line(points: list[tuple[float, float]], step: float = 4.0) -> Stroke:
    """A polyline through `points`, sampled every ~`step` px like pointermove events."""
    out: Stroke = [points[0]]
    for (ax, ay), (bx, by) in zip(points[:-1], points[1:]):
        n = max(1, math.ceil(math.hypot(bx - ax, by - ay) / step))
        out += [(ax + (bx - ax) * k / n, ay + (by - ay) * k / n) for k in range(1, n + 1)]
    return [(round(x, 2), round(y, 2)) for x, y in out]


def _arc(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float,
         n: int = 40) -> list[tuple[float, float]]:
    """Points on an elliptical arc; angles in degrees, 0 = right, 90 = down (screen coordinates)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start_deg + (end_deg - start_deg) * k / n for k in range(n + 1))]


DIGITS: dict[int, list[Stroke]] = {
    0: [_line(_arc(140, 140, 62, 95, -100, 265, 60))],
    1: [_line([(150, 45), (140, 238)])],
    2: [_line(_arc(138, 100, 58, 52, 200, 370, 30) + [(86, 232), (205, 232)])],
    3: [_line(_arc(135, 92, 55, 47, 200, 450, 30) + _arc(135, 187, 60, 50, -90, 160, 30))],
    4: [_line([(165, 45), (78, 172), (212, 172)]), _line([(168, 112), (168, 240)])],
    7: [_line([(78, 55), (205, 55), (118, 238)])],
}
