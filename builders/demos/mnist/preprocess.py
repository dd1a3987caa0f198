"""MNIST-style preprocessing of a drawing, the same algorithm as the Sketchpad component's
`site_src/components/sketchpad_preprocess.ts`.

MNIST digits were made by scaling each digit to fit a 20x20 box keeping its aspect
ratio (anti-aliasing gives the grey levels) and centring it by its centre of mass in a
28x28 field. The browser records pointer strokes, rasterises them deterministically
(`rasterize_strokes`, not the canvas's own anti-aliasing, which differs between browsers)
into a CANVAS_SIZE x CANVAS_SIZE grey image with ink = 1, and runs `preprocess` on it.
Both steps are plain float64 arithmetic, so Python and TypeScript agree to ~1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

CANVAS_SIZE = 280  # drawing raster, 10x the model's input
BRUSH_RADIUS = 9.0  # pen radius in raster pixels (an 18 px line, ~2 px after scaling to 20x20)
INK_THRESHOLD = 0.1  # pixels above this count for the bounding box
FIT_SIZE = 20  # MNIST: digits are scaled to fit 20x20 ...
FIELD_SIZE = 28  # ... and centred by centre of mass in 28x28
# Offsets are floor(14 - centre + EPSILON): the epsilon keeps a centre that is an integer
# in exact arithmetic (symmetric drawings) from rounding differently in Python and JS.
EPSILON = 1e-6

Point = Sequence[float]


def stamp_segment(image: np.ndarray, a: Point, b: Point, radius: float = BRUSH_RADIUS) -> None:
    """Draw the segment a-b (canvas pixel coordinates) into `image` in place, as a round pen.

    A pixel's value is its coverage estimate clamp(radius + 0.5 - distance, 0, 1), the
    distance measured from the pixel centre to the segment; overlapping strokes keep the max.
    """
    height, width = image.shape
    ax, ay = float(a[0]), float(a[1])
    bx, by = float(b[0]), float(b[1])
    x0 = max(0, math.floor(min(ax, bx) - radius - 1))
    x1 = min(width - 1, math.ceil(max(ax, bx) + radius + 1))
    y0 = max(0, math.floor(min(ay, by) - radius - 1))
    y1 = min(height - 1, math.ceil(max(ay, by) + radius + 1))
    if x0 > x1 or y0 > y1:
        return
    py, px = np.mgrid[y0:y1 + 1, x0:x1 + 1].astype(np.float64) + 0.5
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 > 0:
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
    else:
        t = np.zeros_like(px)
    qx, qy = ax + t * dx, ay + t * dy
    dist = np.sqrt((px - qx) ** 2 + (py - qy) ** 2)
    cover = np.clip(radius + 0.5 - dist, 0.0, 1.0)
    region = image[y0:y1 + 1, x0:x1 + 1]
    np.maximum(region, cover, out=region)


def rasterize_strokes(strokes: Sequence[Sequence[Point]], size: int = CANVAS_SIZE,
                      radius: float = BRUSH_RADIUS) -> np.ndarray:
    """A (size, size) float64 image of `strokes` (lists of (x, y) points); ink = 1."""
    image = np.zeros((size, size), np.float64)
    for stroke in strokes:
        if len(stroke) == 1:
            stamp_segment(image, stroke[0], stroke[0], radius)
        for a, b in zip(stroke[:-1], stroke[1:]):
            stamp_segment(image, a, b, radius)
    return image


def area_weights(n_src: int, n_dst: int) -> np.ndarray:
    """(n_dst, n_src) box-filter weights: output i averages source [i*n_src/n_dst, (i+1)*n_src/n_dst)."""
    step = n_src / n_dst
    weights = np.zeros((n_dst, n_src), np.float64)
    for i in range(n_dst):
        start, end = i * step, (i + 1) * step
        for j in range(math.floor(start), min(n_src, math.ceil(end))):
            overlap = min(end, j + 1) - max(start, j)
            if overlap > 0:
                weights[i, j] = overlap / step
    return weights


def preprocess(image: np.ndarray) -> np.ndarray | None:
    """The 28x28 float32 model input for a grey drawing (ink = 1), or None if nothing is drawn.

    Crop to the ink's bounding box, scale to fit 20x20 keeping the aspect ratio (area
    averaging gives anti-aliased greys), and place it in 28x28 so that its centre of mass
    lies at the centre (shifted back inside the field if the digit would leave it).
    """
    image = np.asarray(image, np.float64)
    ink = image > INK_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        return None
    crop = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    height, width = crop.shape
    scale = FIT_SIZE / max(height, width)
    out_h = min(FIT_SIZE, max(1, math.floor(height * scale + 0.5)))
    out_w = min(FIT_SIZE, max(1, math.floor(width * scale + 0.5)))
    small = area_weights(height, out_h) @ crop @ area_weights(width, out_w).T
    mass = small.sum()
    cy = (small.sum(axis=1) * np.arange(out_h)).sum() / mass
    cx = (small.sum(axis=0) * np.arange(out_w)).sum() / mass
    top = min(max(math.floor(FIELD_SIZE / 2 - cy + EPSILON), 0), FIELD_SIZE - out_h)
    left = min(max(math.floor(FIELD_SIZE / 2 - cx + EPSILON), 0), FIELD_SIZE - out_w)
    field = np.zeros((FIELD_SIZE, FIELD_SIZE), np.float64)
    field[top:top + out_h, left:left + out_w] = small
    return np.clip(field, 0.0, 1.0).astype(np.float32)
